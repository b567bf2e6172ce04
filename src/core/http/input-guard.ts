import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, CommonErrors, FieldError } from '../errors/app-error';

/** JSON bodies nest at most this deep: our DTOs need 4; validators recurse, so a limit keeps the stack safe. */
export const MAX_JSON_DEPTH = 32;

/**
 * One check, at the door, for input that no route can take: strings with a NUL character
 * (PostgreSQL's text cannot hold U+0000) or an unpaired UTF-16 surrogate (not text at all: it
 * cannot be encoded as UTF-8, and validators throw on it), in path parameters, query values,
 * body values and body keys. Answers 400 VALIDATION_FAILED naming the field, before any validator,
 * service or query sees it.
 */
export function badInputFields(request: Pick<FastifyRequest, 'params' | 'query' | 'body'>): FieldError[] {
  const errors: FieldError[] = [];
  walk(request.params, '', errors, 0);
  walk(request.query, '', errors, 0);
  walk(request.body, '', errors, 0);
  return errors;
}

const MESSAGE = 'must not contain NUL characters or unpaired UTF-16 surrogates';

function isBadString(s: string): boolean {
  return s.includes('\u0000') || !(s as string & { isWellFormed(): boolean }).isWellFormed();
}

function walk(value: unknown, path: string, errors: FieldError[], depth: number): void {
  if (errors.length >= 20) return;
  if (typeof value === 'string') {
    if (isBadString(value)) errors.push({ field: path || 'value', message: `${path || 'value'} ${MESSAGE}` });
    return;
  }
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return;
  if (depth > MAX_JSON_DEPTH) {
    errors.push({ field: path || 'body', message: `nested deeper than ${MAX_JSON_DEPTH} levels` });
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => walk(item, `${path}[${i}]`, errors, depth + 1));
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    const field = path ? `${path}.${key}` : key;
    if (isBadString(key)) errors.push({ field: 'key', message: `a field name ${MESSAGE}` });
    else walk(item, field, errors, depth + 1);
  }
}

/**
 * The deepest nesting of arrays and objects in a JSON text, found in one pass without parsing
 * (so a 20,000-level document is refused before anything recurses into it).
 */
export function jsonDepth(text: string, stopAbove = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > stopAbove) return max;
      }
    } else if (c === 93 /* ] */ || c === 125 /* } */) depth--;
  }
  return max;
}

/** Routes that take a form body (as its raw string): the one-click unsubscribe (RFC 8058). */
export const FORM_ROUTES: ReadonlySet<string> = new Set(['/api/v1/notifications/unsubscribe']);
const FORM_BODY_LIMIT = 4096;

/**
 * Installs the JSON parser (Fastify's own, which refuses `__proto__` and `constructor.prototype`,
 * behind a depth check; an empty body is `{}`) and the input check above, for every route.
 */
export function installInputGuard(fastify: FastifyInstance): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    // Many clients send `content-type: application/json` with no body on routes that take none (join, lock, pin).
    if (text.trim() === '') {
      done(null, {});
      return;
    }
    if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
      done(CommonErrors.validation([{ field: 'body', message: `nested deeper than ${MAX_JSON_DEPTH} levels` }], 'The JSON body is nested too deeply'), undefined);
      return;
    }
    parseJson(request, text, (err, parsed) => {
      if (err) done(new AppError('MALFORMED_JSON', 400, 'The body is not valid JSON'), undefined);
      else done(null, parsed);
    });
  });
  // HTML forms and RFC 8058 one-click unsubscribes post `application/x-www-form-urlencoded`: taken, as the
  // raw string (no parsing into objects), by the routes listed in FORM_ROUTES only; elsewhere 415 as before.
  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT }, (request, body, done) => {
    if (!FORM_ROUTES.has(request.routeOptions.url ?? '')) {
      done(new AppError('UNSUPPORTED_MEDIA_TYPE', 415, 'This route takes JSON'), undefined);
      return;
    }
    done(null, body as string);
  });
  fastify.addHook('preValidation', async (request) => {
    const errors = badInputFields(request);
    if (errors.length) throw CommonErrors.validation(errors, 'The request contains characters no field can hold');
  });
}
