import fc from 'fast-check';
import {
  badAuthorization, badLimit, badUtf8, BOUNDARY, brokenMultipart, deepDepth, deepText, forgedCursor, garbageText, hugeArrayText, hugeSize,
  hugeString, hugeUnit, longText, malformedJson, overHeaderLimit, multipartFile, rawSegments, truncated, withLoneSurrogate, withNul, wrongContentType,
} from './nasty';
import { Operation } from './openapi';
import { objectProperties, validValue, ValueContext, wrongTypeValue } from './values';
import { CALLERS, CallerName, PoolValue } from './world';

/**
 * A request plan: everything fast-check decided about one request. Bodies are built lazily
 * (a plan may describe a 1 MiB string without holding it), and cursors are picked when the request
 * is sent, from the real cursors seen so far.
 */
export interface PathArg {
  /** The decoded text; encoded when the URL is built. */
  text?: string;
  /** An already percent-encoded segment (some deliberately invalid). */
  raw?: string;
  /** The real value it comes from, when it does. */
  source?: PoolValue;
}

export interface BodyPlan {
  contentType: string | null;
  build(): string | Buffer;
}

export type CursorPlan =
  | { kind: 'real'; pick: number }
  | { kind: 'other operation'; pick: number }
  | { kind: 'other sort'; pick: number }
  | { kind: 'tampered'; pick: number; at: number; char: string }
  | { kind: 'forged'; text: string };

export interface Plan {
  inputClass: string;
  caller: CallerName;
  /** When a path value belongs to one caller (a session, an upload), send the request as that caller. */
  asOwner?: boolean;
  authorization?: string;
  path: Record<string, PathArg>;
  /** Decoded name/value pairs; a name may repeat. */
  query: [string, string][];
  /** Appended as is (invalid percent-encoding and the like). */
  rawQuery?: string;
  cursor?: CursorPlan;
  body?: BodyPlan;
}

const SENTINEL = '\u0001fuzz\u0001';
const SENTINEL_JSON = JSON.stringify(SENTINEL);

const json = (contentType = 'application/json') => (text: () => string | Buffer): BodyPlan => ({ contentType, build: text });

export function hasBody(op: Operation): boolean {
  return !['GET', 'HEAD', 'OPTIONS'].includes(op.method);
}

/** The arbitrary of request plans for one operation. */
export function planArbitrary(op: Operation, ctx: ValueContext, pools: Record<string, PoolValue[]>, image: Buffer): fc.Arbitrary<Plan> {
  const realPath = fc.record(Object.fromEntries(op.pathParams.map((name) => [name, fc.constantFrom(...pools[name]).map((v): PathArg => ({ text: v.value, source: v }))])));
  const validQuery = queryArbitrary(op, ctx);
  const validBody = bodyArbitrary(op, ctx, image);
  const base = fc.record({ caller: fc.constantFrom(...CALLERS), asOwner: fc.boolean(), authorization: badAuthorization, path: realPath, query: validQuery, body: validBody });
  type Base = { caller: CallerName; asOwner: boolean; authorization: string; path: Record<string, PathArg>; query: [string, string][]; body: BodyPlan | undefined };
  const plan = (inputClass: string, change: fc.Arbitrary<(b: Base) => Partial<Plan>>) =>
    fc.tuple(base, change).map(([b, f]): Plan => ({ inputClass, ...b, authorization: b.caller === 'badToken' ? b.authorization : undefined, ...f(b) }));

  const classes: { arbitrary: fc.Arbitrary<Plan>; weight: number }[] = [];
  const add = (inputClass: string, change: fc.Arbitrary<(b: Base) => Partial<Plan>>, weight = 2) => classes.push({ arbitrary: plan(inputClass, change), weight });

  // Path parameters: garbage, over-long, NUL, lone surrogates, invalid percent-encoding, real ids of another kind.
  if (op.pathParams.length) {
    const param = fc.constantFrom(...op.pathParams);
    const allIds = Object.values(pools).flat();
    const setParam = (arg: fc.Arbitrary<PathArg>) => fc.tuple(param, arg).map(([name, a]) => (b: Base) => ({ path: { ...b.path, [name]: a } }));
    add('garbage path param', setParam(fc.oneof(garbageText.map((text) => ({ text })), rawSegments.map((raw) => ({ raw })), fc.constantFrom(...allIds).map((v) => ({ text: v.value })))));
    add('real id upper-cased', setParam(fc.constantFrom(...allIds).map((v) => ({ text: v.value.toUpperCase(), source: v }))), 1);
    add('long path param', setParam(fc.oneof(longText.map((text) => ({ text })), fc.constantFrom(...allIds).map((v) => ({ text: v.value + 'x'.repeat(100) })))));
    add('NUL in path', setParam(fc.oneof(withNul().map((text) => ({ text })), fc.constant({ raw: 'nul%00byte' }), fc.constant({ raw: '%C0%80' }))));
    add('lone surrogate in path', setParam(withLoneSurrogate().map((text) => ({ text }))));
  }

  // Query values: wrong types, unknown names, repeats, NUL and surrogates, bad encoding.
  const queryName = op.query.length ? fc.constantFrom(...op.query.map((q) => q.name)) : fc.constantFrom('q', 'x');
  const setQuery = (value: fc.Arbitrary<string>) =>
    fc.tuple(queryName, value).map(([name, v]) => (b: Base) => ({ query: [...b.query.filter(([n]) => n !== name), [name, v]] as [string, string][] }));
  add('URL over 16 KiB', fc.tuple(queryName, overHeaderLimit).map(([n, v]) => (b: Base) => ({ query: [...b.query, [n, v]] as [string, string][] })), 1);
  add('garbage query', fc.oneof(
    setQuery(fc.oneof(garbageText, longText)),
    fc.tuple(fc.string({ maxLength: 10 }), garbageText).map(([n, v]) => (b: Base) => ({ query: [...b.query, [n || 'x', v]] as [string, string][] })),
    fc.tuple(queryName, fc.array(garbageText, { minLength: 2, maxLength: 3 })).map(([n, vs]) => (b: Base) => ({ query: [...b.query, ...vs.map((v) => [n, v] as [string, string])] })),
    fc.tuple(queryName, rawSegments).map(([n, raw]) => () => ({ rawQuery: `${encodeURIComponent(n)}=${raw}` })),
    fc.tuple(queryName, fc.constantFrom('[a]=1', '[]=1', '.a=1', '[__proto__][x]=1')).map(([n, rest]) => () => ({ rawQuery: `${encodeURIComponent(n)}${rest}` })),
  ));
  const required = op.query.filter((q) => q.required).map((q) => q.name);
  if (required.length) {
    add('missing required query', fc.subarray(required, { minLength: 1 }).map((drop) => (b: Base) => ({ query: b.query.filter(([n]) => !drop.includes(n)) })));
  }
  add('NUL in query', setQuery(withNul()));
  add('lone surrogate in query', setQuery(withLoneSurrogate()));
  if (op.query.some((q) => q.name === 'limit')) {
    add('limit out of range', fc.oneof(
      badLimit.map((v) => (b: Base) => ({ query: [...b.query.filter(([n]) => n !== 'limit'), ['limit', v]] as [string, string][] })),
      fc.constant((b: Base) => ({ query: [...b.query.filter(([n]) => n !== 'limit'), ['limit', '1'], ['limit', '2']] as [string, string][] })),
    ));
  }
  if (op.query.some((q) => q.name === 'cursor')) {
    const noCursor = (b: Base) => b.query.filter(([n]) => n !== 'cursor');
    add('real cursor', fc.nat().map((pick) => (b: Base) => ({ query: noCursor(b), cursor: { kind: 'real', pick } })));
    add('cursor from another operation', fc.nat().map((pick) => (b: Base) => ({ query: noCursor(b), cursor: { kind: 'other operation', pick } })));
    add('tampered cursor', fc.tuple(fc.nat(), fc.nat(), fc.constantFrom(...'AZaz09-_=.%~')).map(([pick, at, char]) => (b: Base) => ({ query: noCursor(b), cursor: { kind: 'tampered', pick, at, char } })));
    add('forged cursor', forgedCursor.map((text) => (b: Base) => ({ query: noCursor(b), cursor: { kind: 'forged', text } })));
    if (op.query.some((q) => q.name === 'sort')) {
      add('cursor from another sort', fc.nat().map((pick) => (b: Base) => ({ query: noCursor(b), cursor: { kind: 'other sort', pick } })));
    }
  }

  if (hasBody(op)) addBodyClasses(op, ctx, image, add);

  const others = classes.reduce((sum, c) => sum + c.weight, 0);
  return fc.oneof({ arbitrary: plan('valid', fc.constant(() => ({}))), weight: Math.max(1, Math.round(others / 2)) }, ...classes);
}

function queryArbitrary(op: Operation, ctx: ValueContext): fc.Arbitrary<[string, string][]> {
  const entries = op.query
    .filter((q) => q.name !== 'cursor')
    .map((q) => {
      const value = validValue(ctx, q.schema, q.name).map((v) => (Array.isArray(v) ? v.map(String) : [String(v)]));
      const pairs = value.map((vs) => vs.map((v) => [q.name, v] as [string, string]));
      return q.required ? pairs : fc.option(pairs, { nil: [] as [string, string][] });
    });
  return fc.tuple(...entries).map((lists) => lists.flat());
}

function bodyArbitrary(op: Operation, ctx: ValueContext, image: Buffer): fc.Arbitrary<BodyPlan | undefined> {
  if (!hasBody(op) || !op.body) return fc.constant(undefined);
  if (op.body.json) return validValue(ctx, op.body.json).map((v) => json()(() => JSON.stringify(v)));
  if (op.body.multipart) {
    const { properties } = objectProperties(ctx, op.body.multipart);
    const files = Object.entries(properties).filter(([, s]) => s.format === 'binary').map(([n]) => n);
    return fc.constant({ contentType: `multipart/form-data; boundary=${BOUNDARY}`, build: () => multipartFile(BOUNDARY, image, { field: files[0] ?? 'file' }) });
  }
  return fc.constant(undefined);
}

type Add = (inputClass: string, change: fc.Arbitrary<(b: any) => Partial<Plan>>, weight?: number) => void;

/** Body inputs: shapes the schema refuses, sizes and depths nobody sends, text that is not JSON, media types the route does not take. */
function addBodyClasses(op: Operation, ctx: ValueContext, image: Buffer, add: Add) {
  const schema = op.body?.json ?? null;
  const { properties, required } = objectProperties(ctx, schema);
  const names = Object.keys(properties);
  const stringNames = names.filter((n) => (properties[n].type ?? 'string') === 'string');
  const valid = validValue(ctx, schema ?? { type: 'object', properties: {} }).map((v) => (v && typeof v === 'object' && !Array.isArray(v) ? v : {}) as Record<string, unknown>);
  const name = fc.constantFrom(...names);
  const textName = fc.constantFrom(...(stringNames.length ? stringNames : names));
  /** The body as JSON text, with one field's JSON text replaced by `raw`. */
  const withRaw = (obj: Record<string, unknown>, field: string, raw: () => string) => () =>
    JSON.stringify({ ...obj, [field]: SENTINEL }).replace(SENTINEL_JSON, () => raw());
  const body = (plan: BodyPlan) => () => ({ body: plan });

  add('wrong type', fc.oneof(
    fc.tuple(valid, name).chain(([obj, n]) => wrongTypeValue(ctx, properties[n]).map((w) => body(json()(() => JSON.stringify({ ...obj, [n]: w }))))),
    fc.oneof(fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }), fc.string({ maxLength: 10 }), fc.integer(), fc.constant(null), fc.boolean()).map((w) => body(json()(() => JSON.stringify(w)))),
  ));
  if (required.length) add('missing required', fc.tuple(valid, fc.subarray(required, { minLength: 1 })).map(([obj, drop]) => body(json()(() => JSON.stringify(Object.fromEntries(Object.entries(obj).filter(([k]) => !drop.includes(k))))))));
  add('unknown field', fc.tuple(valid, fc.oneof(fc.constantFrom('__proto__', 'constructor', 'isPlatformAdmin', 'role', 'id', 'authorId', 'communityId', 'createdAt', 'hidden', 'score'), fc.string({ maxLength: 12 })), fc.jsonValue({ maxDepth: 2 }))
    .filter(([, key]) => !names.includes(key))
    .map(([obj, key, value]) => body(json()(() => JSON.stringify({ ...obj, [SENTINEL]: value }).replace(SENTINEL_JSON, () => JSON.stringify(key))))));
  add('huge string', fc.tuple(valid, textName, hugeSize, hugeUnit).map(([obj, n, size, unit]) => body(json()(withRaw(obj, n, () => JSON.stringify(hugeString(size, unit)))))));
  add('huge array', fc.tuple(valid, name, fc.constantFrom(1_000, 100_000), fc.constantFrom('1', '"x"', '{}', '[]', 'null')).map(([obj, n, size, item]) => body(json()(withRaw(obj, n, () => hugeArrayText(size, item))))));
  add('deep nesting', fc.oneof(
    fc.tuple(deepDepth, fc.constantFrom<'array' | 'object'>('array', 'object')).map(([d, k]) => body(json()(() => deepText(d, k)))),
    fc.tuple(valid, name, deepDepth, fc.constantFrom<'array' | 'object'>('array', 'object')).map(([obj, n, d, k]) => body(json()(withRaw(obj, n, () => deepText(d, k))))),
  ));
  add('NUL in body', fc.oneof(
    fc.tuple(valid, textName, withNul()).map(([obj, n, s]) => body(json()(() => JSON.stringify({ ...obj, [n]: s })))),
    fc.tuple(valid, withNul()).map(([obj, key]) => body(json()(() => JSON.stringify({ ...obj, [key]: 'x' })))),
  ));
  add('lone surrogate in body', fc.oneof(
    fc.tuple(valid, textName, withLoneSurrogate()).map(([obj, n, s]) => body(json()(() => JSON.stringify({ ...obj, [n]: s })))),
    fc.tuple(valid, textName, withLoneSurrogate()).map(([obj, n, s]) => body(json()(() => JSON.stringify({ ...obj, [n]: s }).replace(/\\ud[89a-f][0-9a-f]{2}/gi, (m) => m.toUpperCase())))),
  ));
  add('invalid UTF-8', fc.tuple(valid, textName, badUtf8).map(([obj, n, bytes]) => {
    const [before, after] = JSON.stringify({ ...obj, [n]: SENTINEL }).split(SENTINEL_JSON);
    return body(json()(() => Buffer.concat([Buffer.from(before + '"a'), bytes, Buffer.from('b"' + after)])));
  }));
  add('malformed JSON', fc.oneof(
    malformedJson.map((text) => body(json()(() => text))),
    fc.tuple(valid, fc.nat()).map(([obj, at]) => body(json()(() => truncated(JSON.stringify(obj), at)))),
  ));
  add('wrong content type', fc.tuple(valid, wrongContentType).map(([obj, ct]) => body({ contentType: ct.contentType, build: () => ct.body(JSON.stringify(obj)) })));
  if (op.body?.multipart) {
    add('broken multipart', brokenMultipart(image).map((m) => body({ contentType: m.contentType, build: m.body })), 8);
  }
}
