import fc from 'fast-check';

/** Inputs nobody expects: the classes issue 22 lists, as fast-check arbitraries. */

export const base64url = (text: string) => Buffer.from(text).toString('base64url');

/** A string with a NUL character somewhere (PostgreSQL text cannot hold U+0000). */
export const withNul = (base: fc.Arbitrary<string> = fc.string({ maxLength: 12 })) =>
  fc.tuple(base, fc.nat(), fc.constantFrom('\u0000', '\u0000\u0000', 'a\u0000b')).map(([s, at, nul]) => {
    const i = s.length ? at % (s.length + 1) : 0;
    return s.slice(0, i) + nul + s.slice(i);
  });

/** A string with an unpaired UTF-16 surrogate (not text at all: it has no UTF-8 form). */
export const withLoneSurrogate = (base: fc.Arbitrary<string> = fc.string({ maxLength: 12 })) =>
  fc.tuple(base, fc.nat(), fc.constantFrom('\ud800', '\udfff', '\udc00x', 'x\ud83d', '\ud800@example.com')).map(([s, at, bad]) => {
    const i = s.length ? at % (s.length + 1) : 0;
    return s.slice(0, i) + bad + s.slice(i);
  });

/** Path segments that are already percent-encoded, some of them invalid on purpose. */
export const rawSegments = fc.constantFrom(
  '%00', 'nul%00byte', '%C0%80', '%ED%A0%80', '%ED%BF%BF', '%FF', '%FE%FF', '%', '%zz', '%E2%82', '%25', '%2F', '%5C', '%0A', '%20',
  '...', '~', '%F0%9F%92%A9', 'a%3Bb', '%2e%2e%2fetc',
);

export const garbageText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('', ' ', '0', '-1', 'null', 'undefined', 'true', '[]', '{}', "' OR '1'='1", '"; DROP TABLE users; --', '../../etc/passwd', '<script>', 'NaN', '1e309'),
  fc.uuid(),
  fc.uuid().map((u) => u.toUpperCase()),
  fc.uuid().map((u) => u.replace(/-/g, '')),
  fc.uuid().map((u) => `${u}x`),
);

/** Over 100 characters (Fastify's maxParamLength), yet short enough that the URL stays under Node's 16 KiB header limit. */
export const longText = fc.tuple(fc.integer({ min: 101, max: 1000 }), fc.constantFrom('a', '9', '-', 'é', '😀', '%')).map(([n, c]) => c.repeat(n));

/** A URL part long enough to pass Node's 16 KiB limit on the request head (answered before any route). */
export const overHeaderLimit = fc.integer({ min: 17_000, max: 40_000 }).map((n) => 'a'.repeat(n));

export const hugeSize = fc.constantFrom(20_000, 200_000, 1_100_000);
export const hugeString = (size: number, unit: string) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
export const hugeUnit = fc.constantFrom('x', 'é', '😀', '\\', '"', '<a href="javascript:alert(1)">x</a> ', '**bold** [l](http://x.y) ');

export const hugeArrayText = (n: number, item: string) => `[${Array(n).fill(item).join(',')}]`;

/** Deep nesting as raw JSON text (never built as objects: JSON.stringify would overflow first). */
export const deepText = (depth: number, kind: 'array' | 'object') =>
  kind === 'array' ? '['.repeat(depth) + ']'.repeat(depth) : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
export const deepDepth = fc.constantFrom(33, 100, 5_000, 20_000, 100_000);

export const malformedJson = fc.constantFrom(
  '{', '}', '[', '{"a":1,}', "{'a':1}", '[1,2', '{"a":}', '{"a"}', 'nul', 'tru', '"unterminated', '{"a":1}garbage', '{"a":1}{"b":2}',
  '\uFEFF{}', '', ' ', '\n', '{"a":1e999999}', '{"a":-}', '{"a":01}', '{"a":"\\x41"}', '{"a":"\\u12"}', '{"a":"\\ud800"}', '{"\\u0000":1}',
  'NaN', 'Infinity', '-', '{"a":1,"a":2}', '{"__proto__":{"isPlatformAdmin":true}}', '{"constructor":{"prototype":{"isPlatformAdmin":true}}}',
  '{"a":"b"', 'a=1&b=2', '<a>1</a>', '\u0000', '{"a":"\u0000"}', '/* comment */ {}', '{"a":undefined}', '{a:1}',
);

/** Valid-looking JSON text cut short. */
export const truncated = (text: string, at: number) => text.slice(0, Math.max(0, Math.min(text.length - 1, at % Math.max(1, text.length))));

/** Bytes that are not UTF-8, placed inside a JSON string. */
export const badUtf8 = fc.constantFrom(
  Buffer.from([0xff]),
  Buffer.from([0xfe, 0xff]),
  Buffer.from([0xc0, 0x80]), // overlong NUL
  Buffer.from([0xed, 0xa0, 0x80]), // a surrogate encoded as UTF-8
  Buffer.from([0xe2, 0x82]), // cut-off sequence
  Buffer.from([0xf4, 0x90, 0x80, 0x80]), // past U+10FFFF
);

export const BOUNDARY = '----hearthfuzz7MA4YWxkTrZu0gW';

/** Content types (with a body to match) the API does not take, or takes only when well-formed. */
export const wrongContentType = fc.constantFrom<{ label: string; contentType: string | null; body: (json: string) => string | Buffer }>(
  { label: 'text/plain', contentType: 'text/plain', body: (json) => json },
  { label: 'text/plain; charset=utf-8', contentType: 'text/plain; charset=utf-8', body: () => 'hello' },
  { label: 'application/xml', contentType: 'application/xml', body: () => '<?xml version="1.0"?><a><b>1</b></a>' },
  { label: 'form-urlencoded', contentType: 'application/x-www-form-urlencoded', body: () => 'a=1&b=%00&c[d]=e' },
  { label: 'octet-stream', contentType: 'application/octet-stream', body: () => Buffer.from([0, 1, 2, 255, 254]) },
  { label: 'no content-type', contentType: null, body: (json) => json },
  { label: 'json utf-16', contentType: 'application/json; charset=utf-16', body: (json) => Buffer.from(json, 'utf16le') },
  { label: 'json latin1', contentType: 'application/json; charset=iso-8859-1', body: (json) => json },
  { label: 'vnd json', contentType: 'application/vnd.api+json', body: (json) => json },
  { label: 'image/png', contentType: 'image/png', body: () => Buffer.from('89504e470d0a1a0a', 'hex') },
  { label: 'garbage content-type', contentType: ';;;=', body: (json) => json },
  { label: 'multipart without boundary', contentType: 'multipart/form-data', body: () => multipartFile(BOUNDARY, Buffer.from('not an image')) },
  { label: 'multipart empty boundary', contentType: 'multipart/form-data; boundary=', body: () => multipartFile(BOUNDARY, Buffer.from('x')) },
  { label: 'multipart cut off', contentType: `multipart/form-data; boundary=${BOUNDARY}`, body: () => cutOff(multipartFile(BOUNDARY, Buffer.alloc(2048, 7))) },
  { label: 'multipart wrong boundary', contentType: 'multipart/form-data; boundary=other', body: () => multipartFile(BOUNDARY, Buffer.from('x')) },
  { label: 'multipart of JSON', contentType: `multipart/form-data; boundary=${BOUNDARY}`, body: (json) => json },
);

/** A multipart body with one file part (and optional extra text fields). */
export function multipartFile(boundary: string, data: Buffer, opts: { field?: string; filename?: string | Buffer; type?: string; fields?: Record<string, string> } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(opts.fields ?? {})) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  parts.push(
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${opts.field ?? 'file'}"; filename="`),
    Buffer.isBuffer(opts.filename) ? opts.filename : Buffer.from(opts.filename ?? 'photo.png'),
    Buffer.from(`"\r\nContent-Type: ${opts.type ?? 'image/png'}\r\n\r\n`),
    data,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return Buffer.concat(parts);
}

/** The same body stopped before its closing boundary. */
export const cutOff = (body: Buffer) => body.subarray(0, Math.max(1, body.length - Math.ceil(body.length / 3)));

/** Multipart bodies that are broken in ways a parser must survive. */
export const brokenMultipart = (image: Buffer) =>
  fc.constantFrom<{ label: string; contentType: string; body: () => Buffer }>(
    { label: 'no boundary', contentType: 'multipart/form-data', body: () => multipartFile(BOUNDARY, image) },
    { label: 'cut off', contentType: `multipart/form-data; boundary=${BOUNDARY}`, body: () => cutOff(multipartFile(BOUNDARY, image)) },
    { label: 'cut off in the headers', contentType: `multipart/form-data; boundary=${BOUNDARY}`, body: () => Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-da`) },
    { label: 'only the closing boundary', contentType: `multipart/form-data; boundary=${BOUNDARY}`, body: () => Buffer.from(`--${BOUNDARY}--\r\n`) },
    { label: 'empty body', contentType: `multipart/form-data; boundary=${BOUNDARY}`, body: () => Buffer.alloc(0) },
    { label: 'not an image', contentType: `multipart/form-data; boundary=${BOUNDARY}`, body: () => multipartFile(BOUNDARY, Buffer.from('GIF89a not really')) },
    { label: 'empty file', contentType: `multipart/form-data; boundary=${BOUNDARY}`, body: () => multipartFile(BOUNDARY, Buffer.alloc(0)) },
    { label: 'truncated image', contentType: `multipart/form-data; boundary=${BOUNDARY}`, body: () => multipartFile(BOUNDARY, image.subarray(0, image.length >> 1)) },
    { label: 'wrong field name', contentType: `multipart/form-data; boundary=${BOUNDARY}`, body: () => multipartFile(BOUNDARY, image, { field: 'picture' }) },
    {
      label: 'two files',
      contentType: `multipart/form-data; boundary=${BOUNDARY}`,
      body: () =>
        Buffer.concat([
          Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`),
          image,
          Buffer.from('\r\n'),
          multipartFile(BOUNDARY, image),
        ]),
    },
    { label: 'many fields', contentType: `multipart/form-data; boundary=${BOUNDARY}`, body: () => multipartFile(BOUNDARY, image, { fields: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}`, 'v'])) }) },
    { label: 'NUL in the file name', contentType: `multipart/form-data; boundary=${BOUNDARY}`, body: () => multipartFile(BOUNDARY, image, { filename: 'a\u0000b.png' }) },
    { label: 'bad UTF-8 in the file name', contentType: `multipart/form-data; boundary=${BOUNDARY}`, body: () => multipartFile(BOUNDARY, image, { filename: Buffer.from([0x61, 0xff, 0xed, 0xa0, 0x80]) }) },
    { label: 'long field name', contentType: `multipart/form-data; boundary=${BOUNDARY}`, body: () => multipartFile(BOUNDARY, image, { field: 'f'.repeat(5000) }) },
    { label: 'text field only', contentType: `multipart/form-data; boundary=${BOUNDARY}`, body: () => Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"\r\n\r\nhello\r\n--${BOUNDARY}--\r\n`) },
  );

/** Cursor values that were never issued: base64url JSON arrays of absurd values, other JSON, and non-base64 text. */
const absurd = fc.oneof(
  fc.constantFrom<unknown>(
    1e308, -1, -2147483649, 2 ** 63, 9007199254740993, 0, -0.5, 1.5, 'NaN', 'Infinity', '-infinity', 'infinity', 'epoch',
    '9999-12-31T23:59:59.999Z', '+275760-09-13T00:00:00.000Z', '0000-01-01', '2024-13-45T99:99:99Z', '1970-01-01', 'not-a-date', 'not-a-uuid',
    '00000000-0000-0000-0000-000000000000', 'x'.repeat(600), '\u0000', '\ud800', "' OR 1=1 --", true, false, null, {}, [], [1, [2]], { a: 1 }, '',
  ),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 20 }),
  fc.uuid(),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
);

export const forgedCursor = fc.oneof(
  fc.array(absurd, { maxLength: 5 }).map((values) => base64url(JSON.stringify(values))),
  fc.jsonValue({ maxDepth: 3 }).map((v) => base64url(JSON.stringify(v))),
  fc.constantFrom('', '=', '==', 'null', '!!!!', '%00', 'a', '____', '----', base64url('['), base64url('[1,'), base64url('\u0000'), 'W10', 'e30', 'x'.repeat(600)),
  fc.string({ maxLength: 40 }),
  fc.base64String({ maxLength: 60 }),
);

/** `limit` values outside 1..100 or not integers at all. */
export const badLimit = fc.oneof(
  fc.constantFrom('0', '-1', '101', '1000000', '1e2', '1.5', 'abc', '', ' ', '0x10', 'NaN', 'Infinity', '-0', '99999999999999999999999', '1,2', '+5', ' 5', '5 ', '٣'),
  fc.integer().filter((n) => n < 1 || n > 100).map(String),
  fc.double({ noNaN: true }).map(String),
);

/** Authorization headers that are not a valid bearer token. */
export const badAuthorization = fc.oneof(
  fc.constantFrom('Bearer', 'Bearer ', 'Bearer hat_', 'Bearer hat_' + 'a'.repeat(64), 'Basic YWRtaW46YWRtaW4=', 'bearer x', 'Bearer hrt_abc', 'Bearer ' + 'x'.repeat(5000), 'Token abc', 'Bearer a b'),
  fc.string({ minLength: 1, maxLength: 30 }).filter((s) => /^[\x21-\x7e ]+$/.test(s)).map((s) => `Bearer ${s}`),
);
