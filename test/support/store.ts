import { createHmac, randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { Http } from './http';

/** What a test receiver got: the headers and the exact body bytes. */
export interface Received {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  at: number;
}

export interface Answer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
  delayMs?: number;
}

/**
 * A real HTTP receiver on 127.0.0.1 (the store's side). `answer` decides each response (default 200);
 * everything received is kept in order.
 */
export class Receiver {
  readonly received: Received[] = [];
  answer: (r: Received, n: number) => Answer = () => ({ status: 200, body: 'ok' });
  private server!: Server;
  url = '';

  async start(path = '/hooks'): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
    return this;
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const r: Received = {
      id: String(req.headers['webhook-id'] ?? ''),
      timestamp: String(req.headers['webhook-timestamp'] ?? ''),
      signature: String(req.headers['webhook-signature'] ?? ''),
      body: Buffer.concat(chunks).toString('utf8'),
      at: Date.now(),
    };
    this.received.push(r);
    const a = this.answer(r, this.received.length);
    if (a.delayMs) await new Promise((d) => setTimeout(d, a.delayMs));
    if (res.destroyed) return;
    res.writeHead(a.status, { 'content-type': 'text/plain', ...a.headers });
    res.end(a.body ?? '');
  }

  /** Parsed bodies of what arrived, of one type (or all). */
  events(type?: string): Array<{ type: string; timestamp: string; data: any; webhookId: string }> {
    return this.received
      .map((r) => ({ ...JSON.parse(r.body), webhookId: r.id }))
      .filter((e) => !type || e.type === type);
  }

  async close() {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** Verifies a delivery with the official package (throws when it does not verify). */
export function verifyDelivery(secret: string, r: Received): unknown {
  return new Webhook(secret).verify(r.body, { 'webhook-id': r.id, 'webhook-timestamp': r.timestamp, 'webhook-signature': r.signature });
}

/** Connects the store (PUT .../store) and returns the connection with its secrets. */
export async function connectStore(http: Http, adminToken: string, slug: string, webhookUrl: string, events?: string[]) {
  const res = await http.put(`/api/v1/communities/${slug}/store`, { webhookUrl, ...(events ? { events } : {}) }, { token: adminToken });
  if (res.status !== 200) throw new Error(`connect store failed: ${res.status} ${res.text}`);
  return res.body as { webhookUrl: string; events: string[]; webhookSecret: string; inboundSecret: string; ssoSecret: string };
}

/** Sends an inbound event signed with the official package, as a store would. */
export async function sendInbound(
  http: Http,
  slug: string,
  secret: string,
  event: { type: string; data: unknown },
  opts: { id?: string; at?: Date; tamper?: (body: string) => string } = {},
) {
  const id = opts.id ?? `msg_${randomBytes(8).toString('hex')}`;
  const at = opts.at ?? new Date();
  const body = JSON.stringify({ type: event.type, timestamp: at.toISOString(), data: event.data });
  const signature = new Webhook(secret).sign(id, at, body);
  const res = await http.request('POST', `/api/v1/communities/${slug}/store/events`, {
    rawBody: opts.tamper ? opts.tamper(body) : body,
    headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signature },
  });
  return Object.assign(res, { webhookId: id });
}

/** An SSO request as DESIGN.md says: base64 of the JSON claims and their hex HMAC with the SSO secret's UTF-8 bytes. */
export function ssoRequest(secret: string, claims: { storeCustomerId: string; email: string; name: string; nonce?: string; exp?: number }) {
  const payload = Buffer.from(
    JSON.stringify({ nonce: randomBytes(12).toString('hex'), exp: Math.floor(Date.now() / 1000) + 300, ...claims }),
  ).toString('base64');
  const sig = createHmac('sha256', Buffer.from(secret, 'utf8')).update(payload).digest('hex');
  return { payload, sig };
}
