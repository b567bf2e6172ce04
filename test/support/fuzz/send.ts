import { Answer } from './checks';

/** One request ready to go, and a short description of it for the report. */
export interface BuiltRequest {
  method: string;
  /** Path and query, percent-encoded. */
  url: string;
  headers: Record<string, string>;
  body?: Buffer;
}

const TIMEOUT_MS = 30_000;

/**
 * Percent-encodes text the way a client would, except that a lone surrogate (which has no UTF-8
 * form, so encodeURIComponent throws) is sent as the three bytes a careless encoder would write.
 */
export function encodeText(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += encodeURIComponent(text.slice(i, i + 2));
        i++;
        continue;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      out += [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
      continue;
    }
    out += encodeURIComponent(text[i]);
  }
  return out;
}

export async function send(baseUrl: string, req: BuiltRequest): Promise<Answer> {
  let res: Response;
  try {
    res = await fetch(baseUrl + req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body ? new Uint8Array(req.body) : undefined,
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    // No answer at all (the server hung up, crashed or hung) is as bad as a 5xx.
    const reason = err instanceof Error ? `${err.name}: ${err.message}${err.cause ? ` (${String((err.cause as Error).message ?? err.cause)})` : ''}` : String(err);
    return { status: 599, contentType: '', text: `no answer: ${reason}` };
  }
  const buffer = Buffer.from(await res.arrayBuffer());
  const contentType = res.headers.get('content-type') ?? '';
  const answer: Answer = { status: res.status, contentType, text: contentType.startsWith('image/') ? `<${buffer.length} bytes of ${contentType}>` : buffer.toString('utf8') };
  if (/[/+]json\b/.test(contentType)) {
    try {
      answer.json = answer.text ? JSON.parse(answer.text) : undefined;
    } catch (err) {
      answer.jsonError = `content-type ${contentType} but the body does not parse: ${(err as Error).message}`;
    }
  }
  return answer;
}

/** "POST /api/v1/... [content-type] body…" with long parts cut, for failure reports. */
export function describeRequest(req: BuiltRequest, max = 300): string {
  const url = excerpt(req.url, 200);
  const type = req.headers['content-type'];
  const auth = req.headers.authorization ? ` auth=${excerpt(req.headers.authorization, 30)}` : '';
  let body = '';
  if (req.body) {
    const text = req.body.subarray(0, max * 4).toString('utf8');
    body = ` body(${req.body.length} bytes)=${JSON.stringify(excerpt(text, max))}`;
  }
  return `${req.method} ${url}${type !== undefined ? ` [${type}]` : ''}${auth}${body}`;
}

export function excerpt(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…(+${text.length - max})` : text;
}
