import { applyDecorators } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import { ClassConstructor, plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { Public } from '../core/auth/auth.guard';
import { AppError } from '../core/errors/app-error';
import { flattenValidationErrors } from '../core/errors/problem';
import { badInputFields } from '../core/http/input-guard';
import { IMAGE_LIMITS } from '../threads/images';

/**
 * A web page route: HTML for browsers, outside the API (no OpenAPI entry, the page CSP, its own
 * sessions: the global AuthGuard lets it through and the page reads the session cookie itself).
 * `guestCache`: guests' GETs may be served from the guest cache; `guestCacheEffect` as for API writes.
 */
export const Page = (options: { guestCache?: boolean; guestCacheEffect?: 'none' | 'events' } = {}) =>
  applyDecorators(Public(), ApiExcludeEndpoint(), RouteConfig({ page: true, ...options }));

/** Form field errors by field name, shown next to the fields. */
export type FieldErrors = Record<string, string>;

const FORM_LIMITS = { fields: 12, fieldSize: 160 * 1024, files: 0, parts: 12, fieldNameSize: 40 };

/**
 * The fields of a page form. Forms post multipart/form-data (the one body type the server parses
 * besides JSON; the same encoding later serves photo uploads). Values with NUL characters or
 * unpaired surrogates are refused as everywhere else.
 */
export async function readForm(request: FastifyRequest): Promise<Record<string, string>> {
  if (!request.isMultipart()) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 415, 'Forms are sent as multipart/form-data');
  const fields: Record<string, string> = {};
  try {
    for await (const part of request.parts({ limits: FORM_LIMITS })) {
      if (part.type === 'file') continue;
      if (part.valueTruncated) throw new AppError('FORM_TOO_LARGE', 413, 'A field of this form is too long');
      if (!(part.fieldname in fields)) fields[part.fieldname] = String(part.value ?? '');
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('MALFORMED_FORM', 400, 'The form could not be read');
  }
  const bad = badInputFields({ params: {}, query: {}, body: fields });
  if (bad.length) throw new AppError('VALIDATION_FAILED', 400, 'The form contains characters no field can hold', {}, bad);
  return fields;
}

/** Limits of a form read by readFormWithImage (its image's size is the image pipeline's limit). */
export interface ImageFormLimits {
  fields: number;
  fieldSize: number;
}

/**
 * A form's fields and, with `withFile`, the image of its `fileField` file input (an input left empty
 * sends an empty part: no file). An image over the size limit is reported, not thrown, so the page
 * can show it beside the field (the fields before it were read: the file input comes last).
 */
export async function readFormWithImage(
  request: FastifyRequest,
  fileField: string,
  limits: ImageFormLimits,
  withFile: boolean,
): Promise<{ fields: Record<string, string>; file: Buffer | null; fileError?: string }> {
  if (!request.isMultipart()) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 415, 'Forms are sent as multipart/form-data');
  const fields: Record<string, string> = {};
  let file: Buffer | null = null;
  let fileError: string | undefined;
  const partLimits = { fields: limits.fields, parts: limits.fields + 1, fieldSize: limits.fieldSize, fieldNameSize: 40, fileSize: IMAGE_LIMITS.maxBytes, files: withFile ? 1 : 0 };
  try {
    for await (const part of request.parts({ limits: partLimits })) {
      if (part.type === 'file') {
        const data = await part.toBuffer();
        if (part.fieldname === fileField && data.length) file = data;
        continue;
      }
      if (part.valueTruncated) throw new AppError('FORM_TOO_LARGE', 413, 'A field of this form is too long');
      if (!(part.fieldname in fields)) fields[part.fieldname] = String(part.value ?? '');
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (withFile && (err as { code?: string })?.code === 'FST_REQ_FILE_TOO_LARGE') fileError = `Images may be at most ${IMAGE_LIMITS.maxBytes / 1024 / 1024} MiB`;
    else throw new AppError('MALFORMED_FORM', 400, 'The form could not be read');
  }
  const bad = badInputFields({ params: {}, query: {}, body: fields });
  if (bad.length) throw new AppError('VALIDATION_FAILED', 400, 'The form contains characters no field can hold', {}, bad);
  return { fields, file, fileError };
}

/** Validates input with an API DTO class (the same rules as the API), answering errors by field. */
export async function validateWith<T extends object>(cls: ClassConstructor<T>, input: Record<string, unknown>): Promise<{ value: T; errors: FieldErrors | null }> {
  const value = plainToInstance(cls, input);
  const found = await validate(value, { whitelist: true, forbidNonWhitelisted: false });
  if (!found.length) return { value, errors: null };
  return { value, errors: fieldErrors(flattenValidationErrors(found)) };
}

export function fieldErrors(list: Array<{ field: string; message: string }>): FieldErrors {
  const out: FieldErrors = {};
  for (const e of list) {
    const bracket = e.field.indexOf('[');
    const field = bracket > 0 ? e.field.slice(0, bracket) : e.field; // tags[2] is the tags field
    out[field] ??= e.message;
  }
  return out;
}

/** A comma- or space-separated list typed in a text field ("tags, skus"), as the array the API takes. */
export function listField(text: string | undefined): string[] | undefined {
  if (!text) return undefined;
  const items = text
    .split(',')
    .flatMap((s) => s.split(' '))
    .map((s) => s.trim())
    .filter(Boolean);
  return items.length ? [...new Set(items)] : undefined;
}

/** A local path to return to after logging in; anything else (another site, `//host`) is the home page. */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || next.length > 500 || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return '/';
  return next;
}

/** The readable part of a thread's URL: its title in lowercase ASCII letters and digits joined by hyphens. */
export function titleSlug(title: string): string {
  let out = '';
  let hyphen = false;
  for (const ch of title.normalize('NFKD').toLowerCase()) {
    const code = ch.charCodeAt(0);
    const plain = (code >= 97 && code <= 122) || (code >= 48 && code <= 57);
    if (plain) {
      const sep = hyphen && out ? '-' : '';
      if (out.length + sep.length + 1 > 80) break;
      out += sep + ch;
      hyphen = false;
    } else if (code < 0x300 || code > 0x36f) hyphen = true; // combining accents vanish: "é" is "e"
  }
  return out || 'thread';
}

export function threadPath(thread: { id: string; title: string }): string {
  return `/t/${thread.id}/${titleSlug(thread.title)}`;
}
