/**
 * The slice of an OpenAPI 3.0 document the fuzz test reads: every operation with its path
 * parameters, query parameters, request body and documented responses.
 */
export type Schema = Record<string, any>;

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, any>>;
  components?: { schemas?: Record<string, Schema> };
}

export interface QueryParam {
  name: string;
  required: boolean;
  schema: Schema;
}

export interface RequestBodySpec {
  required: boolean;
  /** Content types the document lists, e.g. application/json, multipart/form-data. */
  contentTypes: string[];
  json: Schema | null;
  multipart: Schema | null;
}

export interface ResponseSpec {
  /** Schema per media type, e.g. { 'application/json': {...} }. */
  content: Record<string, Schema | null>;
}

export interface Operation {
  /** "POST /api/v1/threads/{threadId}/posts" */
  key: string;
  method: string;
  path: string;
  /** Names of the {params} in the path template, in order. */
  pathParams: string[];
  /** Path parameters the document declares in `parameters`. */
  declaredPathParams: string[];
  query: QueryParam[];
  body: RequestBodySpec | null;
  responses: Record<string, ResponseSpec>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export function listOperations(doc: OpenApiDocument): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    const shared: any[] = item.parameters ?? [];
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const params = [...shared, ...(op.parameters ?? [])].map((p) => resolve(doc, p));
      const pathParams = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      const body = op.requestBody ? resolve(doc, op.requestBody) : null;
      const content: Record<string, any> = body?.content ?? {};
      const responses: Record<string, ResponseSpec> = {};
      for (const [status, raw] of Object.entries<any>(op.responses ?? {})) {
        const response = resolve(doc, raw);
        const media: Record<string, Schema | null> = {};
        for (const [type, entry] of Object.entries<any>(response.content ?? {})) media[type] = entry?.schema ?? null;
        responses[status] = { content: media };
      }
      ops.push({
        key: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        pathParams,
        declaredPathParams: params.filter((p) => p.in === 'path').map((p) => p.name),
        query: params.filter((p) => p.in === 'query').map((p) => ({ name: p.name, required: Boolean(p.required), schema: p.schema ?? { type: 'string' } })),
        body: body
          ? {
              required: Boolean(body.required),
              contentTypes: Object.keys(content),
              json: content['application/json']?.schema ?? null,
              multipart: content['multipart/form-data']?.schema ?? null,
            }
          : null,
        responses,
      });
    }
  }
  return ops;
}

/** Follows `$ref`s (local ones, `#/...`) until a real object. */
export function resolve(doc: OpenApiDocument, node: any): any {
  let current = node;
  for (let hops = 0; current && typeof current === 'object' && typeof current.$ref === 'string'; hops++) {
    if (hops > 50) throw new Error(`$ref cycle at ${node.$ref}`);
    current = pointer(doc, current.$ref);
  }
  return current;
}

function pointer(doc: OpenApiDocument, ref: string): any {
  if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported, got ${ref}`);
  let target: any = doc;
  for (const part of ref.slice(2).split('/')) {
    target = target?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (target === undefined) throw new Error(`unresolvable $ref ${ref}`);
  }
  return target;
}

/**
 * Turns an OpenAPI 3.0 schema into plain JSON Schema for Ajv: `nullable: true` becomes
 * `anyOf: [{type: 'null'}, ...]`. Ajv's own `nullable` support is not enough: it rejects `nullable`
 * without `type`, and for `{nullable, type: 'object', allOf: [{$ref}]}` (what @nestjs/swagger emits
 * for an optional nested DTO) it still applies the allOf to null, so a documented null fails.
 * `$ref`s are rewritten to point into the document registered under `docId`.
 */
export function toJsonSchema(node: any, docId: string): any {
  if (Array.isArray(node)) return node.map((n) => toJsonSchema(n, docId));
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, any> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'nullable' || key === 'example' || key === 'examples') continue;
    if (key === '$ref' && typeof value === 'string' && value.startsWith('#/')) out.$ref = `${docId}${value}`;
    else if (key === 'properties' && value && typeof value === 'object') {
      // Property names are data, not keywords: convert each property's schema, keep the names.
      out.properties = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, toJsonSchema(sub, docId)]));
    } else out[key] = toJsonSchema(value, docId);
  }
  return node.nullable === true ? { anyOf: [{ type: 'null' }, out] } : out;
}
