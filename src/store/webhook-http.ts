import * as http from 'node:http';
import * as https from 'node:https';
import { isIP } from 'node:net';
import { AddressRefusedError, guardedLookup, hostOf, isPublicAddress, urlProblem } from './address-policy';

export interface PostResult {
  /** null: no HTTP answer (network error, timeout, refused address). */
  status: number | null;
  durationMs: number;
  /** The first 1 KiB of the answer's body. */
  response: string;
  error: string | null;
  /** Seconds from a Retry-After header (delta or HTTP date), if any. */
  retryAfterSeconds: number | null;
}

const RESPONSE_KEEP_BYTES = 1024;
/** Read at most this much of an answer (to reuse the connection); a longer one closes it. */
const RESPONSE_READ_BYTES = 64 * 1024;

const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64, timeout: 30_000 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 64, maxFreeSockets: 64, timeout: 30_000 }),
};

function parseRetryAfter(value: string | undefined, now: number): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  const n = Number(trimmed);
  if (trimmed !== '' && Number.isFinite(n) && n >= 0) return Math.ceil(n);
  const date = Date.parse(trimmed);
  return Number.isFinite(date) ? Math.max(0, Math.ceil((date - now) / 1000)) : null;
}

/**
 * One POST of a webhook: no redirects followed (a 3xx is an answer like any other), a hard deadline
 * over the whole exchange, and the address connected to checked by `guardedLookup` (IP literals are
 * checked here, as Node does not resolve them).
 */
export function postWebhook(rawUrl: string, headers: Record<string, string>, body: string, opts: { timeoutMs: number; allowPrivate: boolean }): Promise<PostResult> {
  const started = Date.now();
  const done = (r: Omit<PostResult, 'durationMs'>): PostResult => ({ ...r, durationMs: Date.now() - started });
  const fail = (error: string) => done({ status: null, response: '', error: error.slice(0, 500), retryAfterSeconds: null });
  const problem = urlProblem(rawUrl);
  if (problem) return Promise.resolve(fail(`webhook URL ${problem}`));
  const url = new URL(rawUrl);
  const host = hostOf(url);
  if (isIP(host) && !opts.allowPrivate && !isPublicAddress(host)) return Promise.resolve(fail(new AddressRefusedError(host).message));
  const isHttps = url.protocol === 'https:';
  return new Promise<PostResult>((resolve) => {
    let settled = false;
    const finish = (r: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const payload = Buffer.from(body);
    const req = (isHttps ? https : http).request(
      {
        protocol: url.protocol,
        hostname: host,
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        agent: isHttps ? agents.https : agents.http,
        lookup: guardedLookup(opts.allowPrivate) as never,
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(payload.length), 'user-agent': 'Hearth-Webhooks/1' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          if (read < RESPONSE_KEEP_BYTES) chunks.push(chunk);
          read += chunk.length;
          if (read > RESPONSE_READ_BYTES) res.destroy();
        });
        const answer = () =>
          finish(
            done({
              status: res.statusCode ?? null,
              response: Buffer.concat(chunks).subarray(0, RESPONSE_KEEP_BYTES).toString('utf8').split('\u0000').join(''),
              error: null,
              retryAfterSeconds: parseRetryAfter(res.headers['retry-after'], Date.now()),
            }),
          );
        res.on('end', answer);
        res.on('close', answer);
        res.on('error', answer);
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Error(`timed out after ${opts.timeoutMs} ms`));
    }, opts.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => finish(fail(err instanceof AddressRefusedError || err.code === 'EADDRREFUSED' ? err.message : `${err.code ?? 'error'}: ${err.message}`)));
    req.end(payload);
  });
}
