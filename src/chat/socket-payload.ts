import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { AppError } from '../core/errors/app-error';
import { flattenValidationErrors } from '../core/errors/problem';
import { ChatErrors } from './chat.errors';

/** What every ack answers: `{ok: true, ...}` or `{ok: false, error: {code, message}}`, with the HTTP API's codes. */
export type Ack = { ok: true; [key: string]: unknown } | { ok: false; error: { code: string; message: string; [key: string]: unknown } };

/** Validates a socket payload as the HTTP API validates bodies: a plain object, the DTO's rules, no unknown fields. */
export async function parsePayload<T extends object>(dto: new () => T, payload: unknown): Promise<T> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw ChatErrors.badPayload([{ field: '', message: 'the payload must be an object' }]);
  }
  const instance = plainToInstance(dto, payload);
  const errors = await validate(instance, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length) throw ChatErrors.badPayload(flattenValidationErrors(errors));
  return instance;
}

/** An error as an ack: AppErrors keep their code and details (retryAfter...); anything else is INTERNAL, without internals. */
export function errorAck(err: unknown): Ack & { ok: false } {
  if (err instanceof AppError) {
    return { ok: false, error: { code: err.code, message: err.detail, ...err.extra, ...(err.errors.length ? { errors: err.errors } : {}) } };
  }
  return { ok: false, error: { code: 'INTERNAL', message: 'Something went wrong' } };
}

/** An Error for `connect_error`: the client reads `err.message` and `err.data.code`. */
export function connectError(code: string, message: string): Error & { data: { code: string; message: string } } {
  return Object.assign(new Error(message), { data: { code, message } });
}
