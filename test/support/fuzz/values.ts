import fc from 'fast-check';
import { OpenApiDocument, resolve, Schema } from './openapi';

/** What value generation may draw on besides the schema: real values for known names, and words the fixtures contain. */
export interface ValueContext {
  doc: OpenApiDocument;
  /** Real values for query and body names (`board`, `postId`, `attachmentIds`, `sku`...). */
  named: Record<string, string[]>;
  /** Words the fixtures' texts contain, so searches and filters sometimes match. */
  words: string[];
}

const MAX_DEPTH = 6;
const ISO_DATE = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString());

/** Merges `allOf` parts into one schema (enough for the object DTOs @nestjs/swagger writes). */
export function flatten(doc: OpenApiDocument, schema: Schema | undefined): Schema {
  const s = resolve(doc, schema ?? {}) ?? {};
  if (!Array.isArray(s.allOf)) return s;
  const merged: Schema = { ...s, allOf: undefined };
  for (const part of s.allOf.map((p: Schema) => flatten(doc, p))) {
    merged.type ??= part.type;
    if (part.properties) merged.properties = { ...part.properties, ...merged.properties };
    if (part.required) merged.required = [...new Set([...(merged.required ?? []), ...part.required])];
    for (const key of ['enum', 'format', 'minLength', 'maxLength', 'minimum', 'maximum', 'items', 'pattern']) merged[key] ??= part[key];
  }
  return merged;
}

export function schemaType(s: Schema): string | undefined {
  if (typeof s.type === 'string') return s.type;
  if (Array.isArray(s.type)) return s.type.find((t: string) => t !== 'null');
  if (s.properties) return 'object';
  if (s.items) return 'array';
  if (s.enum?.length) return typeof s.enum[0] === 'number' ? 'number' : typeof s.enum[0];
  return undefined;
}

/** A value the schema accepts (the server may still refuse it: rules like "a slug" live in descriptions). */
export function validValue(ctx: ValueContext, schema: Schema | undefined, name?: string, depth = 0): fc.Arbitrary<unknown> {
  const s = flatten(ctx.doc, schema);
  const options = s.anyOf ?? s.oneOf;
  if (Array.isArray(options) && options.length) return fc.oneof(...options.map((o: Schema) => validValue(ctx, o, name, depth + 1)));
  const value = plainValue(ctx, s, name, depth);
  return s.nullable ? fc.oneof({ arbitrary: value, weight: 4 }, { arbitrary: fc.constant(null), weight: 1 }) : value;
}

function plainValue(ctx: ValueContext, s: Schema, name: string | undefined, depth: number): fc.Arbitrary<unknown> {
  if (depth > MAX_DEPTH) return fc.constant(null);
  if (Array.isArray(s.enum) && s.enum.length) return fc.constantFrom(...s.enum);
  switch (schemaType(s)) {
    case 'string':
      return stringValue(ctx, s, name);
    case 'integer':
      return fc.integer({ min: Math.ceil(s.minimum ?? -1000), max: Math.floor(s.maximum ?? 1_000_000) });
    case 'number': {
      const min = s.minimum ?? -1000;
      const max = s.maximum ?? 1_000_000;
      return fc.oneof(
        { arbitrary: fc.integer({ min: Math.ceil(min), max: Math.floor(max) }), weight: 3 },
        { arbitrary: fc.double({ min, max, noNaN: true, noDefaultInfinity: true }), weight: 1 },
      );
    }
    case 'boolean':
      return fc.boolean();
    case 'array': {
      const maxLength = Math.min(s.maxItems ?? 3, 3);
      const pool = name ? ctx.named[name] : undefined;
      const item = pool?.length ? fc.constantFrom(...pool) : validValue(ctx, s.items, undefined, depth + 1);
      return fc.array(item, { minLength: Math.min(s.minItems ?? 0, maxLength), maxLength });
    }
    case 'object': {
      const props: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [key, sub] of Object.entries<Schema>(s.properties ?? {})) props[key] = validValue(ctx, sub, key, depth + 1);
      if (!Object.keys(props).length) return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 });
      const required = (s.required ?? []).filter((k: string) => k in props);
      return fc.record(props, { requiredKeys: required });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function stringValue(ctx: ValueContext, s: Schema, name: string | undefined): fc.Arbitrary<string> {
  const min = s.minLength ?? 0;
  const max = s.maxLength ?? 10_000;
  const fits = (v: string) => v.length >= min && v.length <= max;
  const cap = Math.max(min, Math.min(max, 40));
  const generic: fc.Arbitrary<string>[] = [
    fc.string({ minLength: min, maxLength: cap }),
    fc.string({ unit: 'grapheme', minLength: min, maxLength: cap }),
  ];
  if (ctx.words.length) {
    generic.push(fc.array(fc.constantFrom(...ctx.words), { minLength: 1, maxLength: 4 }).map((w) => w.join(' ')).filter(fits));
  }
  const special: fc.Arbitrary<string>[] = [];
  const pool = name ? ctx.named[name] : undefined;
  if (pool?.length) special.push(fc.constantFrom(...pool));
  if (s.pattern) {
    try {
      special.push(fc.stringMatching(new RegExp(s.pattern)).filter(fits));
    } catch {
      // A pattern JavaScript cannot compile: generic strings only.
    }
  }
  if (/slug$/i.test(name ?? '')) special.push(fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/).filter((v) => fits(v) && !v.includes('--')));
  if (s.format === 'uuid') special.push(fc.uuid());
  if (s.format === 'email' || /e-?mail/i.test(name ?? '')) special.push(fc.emailAddress().filter(fits));
  if (s.format === 'date-time' || /ISO 8601/.test(s.description ?? '') || /^(from|to|since|until)$|At$/.test(name ?? '')) {
    special.push(ISO_DATE, ISO_DATE.map((d) => d.slice(0, 10)));
  }
  if (s.format === 'uri' || s.format === 'url') special.push(fc.webUrl());
  if (!special.length) return fc.oneof(...generic);
  return fc.oneof({ arbitrary: fc.oneof(...special), weight: 3 }, { arbitrary: fc.oneof(...generic), weight: 1 });
}

/** A value of another JSON type than the schema asks for. */
export function wrongTypeValue(ctx: ValueContext, schema: Schema | undefined): fc.Arbitrary<unknown> {
  const s = flatten(ctx.doc, schema);
  const type = schemaType(s);
  const byType: Record<string, fc.Arbitrary<unknown>> = {
    string: fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('', '1', 'true', 'null', '[]')),
    integer: fc.integer(),
    number: fc.oneof(fc.double({ noNaN: true }), fc.constantFrom(1e308, -1e308, 5e-324, -0)),
    boolean: fc.boolean(),
    null: fc.constant(null),
    array: fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 4 })), { maxLength: 3 }),
    object: fc.dictionary(fc.string({ maxLength: 6 }), fc.integer(), { maxKeys: 2 }),
  };
  const wrong = Object.entries(byType)
    .filter(([t]) => t !== type && !(type === 'number' && t === 'integer') && !(type === 'integer' && t === 'number') && !(t === 'null' && s.nullable))
    .map(([, arb]) => arb);
  // A number where only integers go is the wrong type too.
  if (type === 'integer') wrong.push(fc.constantFrom(1.5, -0.25, 1e21));
  if (s.enum?.length) wrong.push(fc.string({ maxLength: 12 }).filter((v) => !s.enum.includes(v)));
  return fc.oneof(...wrong);
}

/** The names of an object schema's properties, and their schemas (or a stand-in for bodies without a schema). */
export function objectProperties(ctx: ValueContext, schema: Schema | null): { properties: Record<string, Schema>; required: string[] } {
  const s = schema ? flatten(ctx.doc, schema) : {};
  const properties: Record<string, Schema> = { ...(s.properties ?? {}) };
  if (!Object.keys(properties).length) properties.value = { type: 'string' };
  return { properties, required: (s.required ?? []).filter((k: string) => k in properties) };
}
