/**
 * The receiving side of `npm run bench:chat` (chat.ts): a group of real socket.io clients (websocket
 * transport) that connect, join the bench room and record, for every `message:new` each socket gets, the
 * send-to-receipt latency.
 *
 * The bench forks this file as worker processes (child_process.fork, `serialization: 'advanced'`), each
 * holding a share of the sockets, so 1,000 clients do not share one event loop with the sending timer;
 * the senders' own sockets live in the bench process and use the same class. The send time travels in
 * the message body (`bench <index> <sender instance> <ms>`), read from process.hrtime, which on Linux
 * is CLOCK_MONOTONIC, one clock for every process of the machine: latencies compare across processes.
 */
import { io, Socket } from 'socket.io-client';

/** Milliseconds on the machine-wide monotonic clock (comparable between processes). */
export const clockMs = () => Number(process.hrtime.bigint()) / 1e6;

export interface SocketSpec {
  /** Position among all the bench's sockets. */
  index: number;
  url: string;
  token: string;
  /** Which server instance the socket is connected to. */
  instance: number;
}

export interface ConnectReport {
  connected: number;
  joined: number;
  /** First few failures (connect_error code or ack error), for the report. */
  errors: string[];
  failures: number;
  connectSeconds: number;
  joinSeconds: number;
}

export interface GroupResult {
  /** Send-to-receipt latency (ms) of every delivery received in the measured window. */
  latencies: Float64Array;
  /** 1 when that delivery crossed instances (sender's instance differs from the receiver's). */
  crossed: Uint8Array;
  /** The message index of that delivery. */
  messages: Uint32Array;
  received: number;
  duplicates: number;
  /** message:new events whose body is not a bench message of this run. */
  foreign: number;
  /** Sockets that disconnected after joining (they miss what followed). */
  disconnects: number;
  disconnectReasons: string[];
  /** CPU time of this process over the measured window, ms. */
  cpuUserMs: number;
  cpuSystemMs: number;
  sockets: number;
}

export interface BenchMessage {
  index: number;
  instance: number;
  sentAt: number;
}

export const messageBody = (m: BenchMessage) => `bench ${m.index} ${m.instance} ${m.sentAt.toFixed(3)}`;

export function parseBody(body: unknown): BenchMessage | null {
  if (typeof body !== 'string') return null;
  const parts = body.split(' ');
  if (parts.length !== 4 || parts[0] !== 'bench') return null;
  const [index, instance, sentAt] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  return Number.isInteger(index) && index >= 0 && Number.isInteger(instance) && Number.isFinite(sentAt) ? { index, instance, sentAt } : null;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(runners);
}

const errorText = (err: unknown) => {
  const e = err as { message?: string; data?: { code?: string } };
  return e?.data?.code ? `${e.data.code}: ${e.message}` : String(e?.message ?? err);
};

export class ClientGroup {
  readonly sockets: Array<{ spec: SocketSpec; socket: Socket; seen: Uint8Array }> = [];
  private latencies = new Float64Array(1 << 16);
  private crossed = new Uint8Array(1 << 16);
  private messages = new Uint32Array(1 << 16);
  private count = 0;
  private duplicates = 0;
  private foreign = 0;
  private disconnects = 0;
  private readonly disconnectReasons: string[] = [];
  private recording = false;
  private cpuStart = process.cpuUsage();

  /** `maxMessages`: the highest message index + 1 the run may send (for duplicate detection). */
  constructor(private readonly maxMessages: number) {}

  async connect(specs: SocketSpec[], roomId: string, concurrency: number): Promise<ConnectReport> {
    const report: ConnectReport = { connected: 0, joined: 0, errors: [], failures: 0, connectSeconds: 0, joinSeconds: 0 };
    const fail = (what: string) => {
      report.failures += 1;
      if (report.errors.length < 5) report.errors.push(what);
    };
    const started = clockMs();
    await pool(specs, concurrency, async (spec) => {
      const socket = io(spec.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token: spec.token } });
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('connect timed out after 20 s')), 20_000);
          socket.once('connect', () => (clearTimeout(timer), resolve()));
          socket.once('connect_error', (err) => (clearTimeout(timer), reject(err)));
        });
      } catch (err) {
        socket.close();
        fail(`socket ${spec.index}: ${errorText(err)}`);
        return;
      }
      report.connected += 1;
      this.sockets.push({ spec, socket, seen: new Uint8Array(this.maxMessages) });
    });
    report.connectSeconds = (clockMs() - started) / 1000;

    const joinStarted = clockMs();
    await pool([...this.sockets], concurrency, async (entry) => {
      try {
        const ack = await entry.socket.timeout(30_000).emitWithAck('room:join', { roomId });
        if (!ack?.ok) throw new Error(`room:join answered ${JSON.stringify(ack?.error ?? ack)}`);
        report.joined += 1;
        this.listen(entry);
      } catch (err) {
        fail(`socket ${entry.spec.index}: ${errorText(err)}`);
      }
    });
    report.joinSeconds = (clockMs() - joinStarted) / 1000;
    return report;
  }

  private listen(entry: { spec: SocketSpec; socket: Socket; seen: Uint8Array }) {
    entry.socket.on('message:new', (payload: { message?: { body?: unknown } }) => {
      const at = clockMs();
      if (!this.recording) return;
      const m = parseBody(payload?.message?.body);
      if (!m || m.index >= this.maxMessages) {
        this.foreign += 1;
        return;
      }
      if (entry.seen[m.index]) {
        this.duplicates += 1;
        return;
      }
      entry.seen[m.index] = 1;
      if (this.count === this.latencies.length) {
        const bigger = new Float64Array(this.latencies.length * 2);
        bigger.set(this.latencies);
        this.latencies = bigger;
        const crossed = new Uint8Array(this.crossed.length * 2);
        crossed.set(this.crossed);
        this.crossed = crossed;
        const messages = new Uint32Array(this.messages.length * 2);
        messages.set(this.messages);
        this.messages = messages;
      }
      this.latencies[this.count] = at - m.sentAt;
      this.crossed[this.count] = m.instance === entry.spec.instance ? 0 : 1;
      this.messages[this.count] = m.index;
      this.count += 1;
    });
    entry.socket.on('disconnect', (reason) => {
      this.disconnects += 1;
      if (this.disconnectReasons.length < 5) this.disconnectReasons.push(`socket ${entry.spec.index}: ${reason}`);
    });
  }

  /** Starts the measured window: deliveries from now on are recorded, and CPU time is counted from here. */
  start() {
    this.recording = true;
    this.cpuStart = process.cpuUsage();
  }

  received(): number {
    return this.count;
  }

  disconnected(): number {
    return this.disconnects;
  }

  result(): GroupResult {
    const cpu = process.cpuUsage(this.cpuStart);
    return {
      latencies: this.latencies.slice(0, this.count),
      crossed: this.crossed.slice(0, this.count),
      messages: this.messages.slice(0, this.count),
      received: this.count,
      duplicates: this.duplicates,
      foreign: this.foreign,
      disconnects: this.disconnects,
      disconnectReasons: this.disconnectReasons,
      cpuUserMs: cpu.user / 1000,
      cpuSystemMs: cpu.system / 1000,
      sockets: this.sockets.length,
    };
  }

  close() {
    this.recording = false;
    for (const { socket } of this.sockets) {
      socket.removeAllListeners('disconnect');
      socket.close();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Worker process: commands from the bench over IPC
// ---------------------------------------------------------------------------------------------

export type WorkerCommand =
  | { type: 'connect'; specs: SocketSpec[]; roomId: string; concurrency: number; maxMessages: number }
  | { type: 'start' }
  | { type: 'count' }
  | { type: 'collect' }
  | { type: 'close' };

export type WorkerReply =
  | { type: 'connected'; report: ConnectReport }
  | { type: 'started' }
  | { type: 'count'; received: number; disconnects: number }
  | { type: 'result'; result: GroupResult }
  | { type: 'error'; message: string };

if (require.main === module && process.send) {
  let group: ClientGroup | null = null;
  const reply = (msg: WorkerReply) => process.send!(msg);
  process.on('message', (cmd: WorkerCommand) => {
    void (async () => {
      try {
        switch (cmd.type) {
          case 'connect':
            group = new ClientGroup(cmd.maxMessages);
            reply({ type: 'connected', report: await group.connect(cmd.specs, cmd.roomId, cmd.concurrency) });
            break;
          case 'start':
            group!.start();
            reply({ type: 'started' });
            break;
          case 'count':
            reply({ type: 'count', received: group?.received() ?? 0, disconnects: group?.disconnected() ?? 0 });
            break;
          case 'collect':
            reply({ type: 'result', result: group!.result() });
            break;
          case 'close':
            group?.close();
            process.disconnect();
            setTimeout(() => process.exit(0), 200).unref();
            break;
        }
      } catch (err) {
        reply({ type: 'error', message: String(err?.stack ?? err) });
      }
    })();
  });
  // The bench went away: close and leave.
  process.on('disconnect', () => {
    group?.close();
    setTimeout(() => process.exit(0), 200).unref();
  });
}
