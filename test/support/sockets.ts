import { io, Socket } from 'socket.io-client';

/** A real socket.io client connected to a test server (websocket transport, no reconnection unless asked). */
export async function connectSocket(baseUrl: string, token?: string | null, opts: { reconnection?: boolean } = {}): Promise<Socket> {
  const socket = io(baseUrl, { transports: ['websocket'], reconnection: opts.reconnection ?? false, auth: token === undefined || token === null ? {} : { token }, forceNew: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err) => reject(err));
  });
  return socket;
}

/** The connect_error a handshake gets (fails the test if it connects). */
export async function connectError(baseUrl: string, auth: Record<string, unknown>): Promise<Error & { data?: { code: string } }> {
  const socket = io(baseUrl, { transports: ['websocket'], reconnection: false, auth, forceNew: true });
  try {
    return await new Promise((resolve, reject) => {
      socket.once('connect', () => reject(new Error('connected, but a connect_error was expected')));
      socket.once('connect_error', (err) => resolve(err as Error & { data?: { code: string } }));
    });
  } finally {
    socket.close();
  }
}

/** Emits with an ack and resolves with the ack's answer. */
export function ask<T = any>(socket: Socket, event: string, payload?: unknown, timeoutMs = 5000): Promise<T> {
  return socket.timeout(timeoutMs).emitWithAck(event, payload) as Promise<T>;
}

/** Everything a socket receives, for assertions on what arrived (and what did not). */
export class Inbox {
  readonly events: Array<{ event: string; payload: any }> = [];
  constructor(readonly socket: Socket) {
    socket.onAny((event: string, payload: unknown) => this.events.push({ event, payload }));
  }

  of(event: string): any[] {
    return this.events.filter((e) => e.event === event).map((e) => e.payload);
  }

  /** Waits until an event matching `match` arrived (already or later). */
  async next(event: string, match: (payload: any) => boolean = () => true, timeoutMs = 5000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find((e) => e.event === event && match(e.payload));
      if (found) return found.payload;
      if (Date.now() > deadline) throw new Error(`no ${event} within ${timeoutMs} ms; got: ${this.events.map((e) => e.event).join(', ') || 'nothing'}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

/** Resolves when the socket disconnects (rejects after the timeout). */
export function disconnected(socket: Socket, timeoutMs = 5000): Promise<string> {
  if (socket.disconnected) return Promise.resolve('already');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('still connected')), timeoutMs);
    socket.once('disconnect', (reason) => {
      clearTimeout(timer);
      resolve(reason);
    });
  });
}

/** Lets in-flight broadcasts arrive before asserting that something did not. */
export const settle = (ms = 300) => new Promise((r) => setTimeout(r, ms));
