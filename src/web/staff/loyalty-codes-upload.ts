import type { FastifyRequest } from 'fastify';
import { Actor } from '../../core/auth/actor';
import { AppError } from '../../core/errors/app-error';
import { badInputFields } from '../../core/http/input-guard';
import { AddCodesDto } from '../../loyalty/dto/rewards.dto';
import { RewardsService } from '../../loyalty/rewards.service';
import { validateWith } from '../forms';

/** A CSV of coupon codes: at most this many bytes and codes (the API takes 10,000 codes per call). */
export const CODES_FILE_MAX_BYTES = 1024 * 1024;
export const CODES_FILE_MAX_CODES = 10_000;
/** Codes per call of the service (AddCodesDto's @ArrayMaxSize). */
export const CODES_BATCH = 10_000;
const CODE_MAX_LENGTH = 200;
/** Bad lines listed at most (then "and N more"). */
const ERRORS_SHOWN = 20;
const HEADER_NAMES = new Set(['code', 'codes', 'coupon', 'coupon code', 'coupon_code', 'couponcode']);

/** A multipart admin form: fields (repeated names kept in order, as checkbox groups send them) and at most one file. */
export interface AdminForm {
  fields: Record<string, string>;
  lists: Record<string, string[]>;
  file: Buffer | null;
  fileError?: string;
}

/**
 * Reads an admin page's multipart form, bounded: `maxFields` fields of at most 4 KiB, and (when
 * `fileField` is given) one file of at most CODES_FILE_MAX_BYTES in that field. readForm (forms.ts)
 * keeps one value per name and skips files, which the checkbox groups and the codes upload need.
 */
export async function readAdminForm(request: FastifyRequest, options: { maxFields: number; fileField?: string }): Promise<AdminForm> {
  if (!request.isMultipart()) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 415, 'Forms are sent as multipart/form-data');
  const fields: Record<string, string> = {};
  const lists: Record<string, string[]> = {};
  let file: Buffer | null = null;
  let fileError: string | undefined;
  const limits = { fields: options.maxFields, fieldSize: 4096, fieldNameSize: 60, files: options.fileField ? 1 : 0, fileSize: CODES_FILE_MAX_BYTES, parts: options.maxFields + 1 };
  try {
    for await (const part of request.parts({ limits })) {
      if (part.type === 'file') {
        if (part.fieldname !== options.fileField) {
          await part.toBuffer();
          continue;
        }
        const data = await part.toBuffer();
        if (data.length) file = data;
        continue;
      }
      if (part.valueTruncated) throw new AppError('FORM_TOO_LARGE', 413, 'A field of this form is too long');
      const value = String(part.value ?? '');
      if (!(part.fieldname in fields)) fields[part.fieldname] = value;
      (lists[part.fieldname] ??= []).push(value);
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    const code = (err as { code?: string })?.code;
    if (options.fileField && code === 'FST_REQ_FILE_TOO_LARGE') fileError = `The file is larger than ${CODES_FILE_MAX_BYTES / 1024 / 1024} MiB: split it into smaller files`;
    else if (code === 'FST_FIELDS_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_FILES_LIMIT') throw new AppError('FORM_TOO_LARGE', 413, 'This form has more fields than expected');
    else throw new AppError('MALFORMED_FORM', 400, 'The form could not be read');
  }
  const bad = badInputFields({ params: {}, query: {}, body: lists });
  if (bad.length) throw new AppError('VALIDATION_FAILED', 400, 'The form contains characters no field can hold', {}, bad);
  return { fields, lists, file, fileError };
}

/**
 * The codes of a CSV file: one code per line, the first column when a line has several (a quoted
 * first cell may hold commas; "" is a quote), an optional header line ("code"), blank lines skipped.
 * Every bad line is reported with its number; the file is taken whole or not at all.
 */
export function parseCodesCsv(data: Buffer): { codes: string[]; errors: string[] } {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    return { codes: [], errors: ['The file is not UTF-8 text: save it as CSV (UTF-8)'] };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const codes: string[] = [];
  const errors: string[] = [];
  let more = 0;
  const fail = (message: string) => {
    if (errors.length < ERRORS_SHOWN) errors.push(message);
    else more++;
  };
  const lines = text.split('\n');
  let seenFirst = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
    if (!line.trim()) continue;
    const cell = firstCell(line);
    const n = i + 1;
    if (cell === null) {
      fail(`Line ${n}: a quote is not closed`);
      continue;
    }
    const code = cell.trim();
    if (!seenFirst) {
      seenFirst = true;
      if (HEADER_NAMES.has(code.toLowerCase())) continue;
    }
    if (!code) fail(`Line ${n}: no code in the first column`);
    else if (code.length > CODE_MAX_LENGTH) fail(`Line ${n}: the code is longer than ${CODE_MAX_LENGTH} characters`);
    else if (hasControl(code)) fail(`Line ${n}: the code contains a control character`);
    else codes.push(code);
    if (codes.length > CODES_FILE_MAX_CODES) {
      return { codes: [], errors: [`The file has more than ${CODES_FILE_MAX_CODES.toLocaleString('en-GB')} codes: split it into several files`] };
    }
  }
  if (more) errors.push(`… and ${more} more bad lines`);
  if (!errors.length && !codes.length) errors.push('The file has no codes');
  return { codes: errors.length ? [] : codes, errors };
}

/** The first CSV cell of a line; null when its opening quote is not closed. */
function firstCell(line: string): string | null {
  const start = line.length - line.trimStart().length;
  if (line[start] !== '"') {
    const comma = line.indexOf(',');
    return comma < 0 ? line : line.slice(0, comma);
  }
  let out = '';
  for (let i = start + 1; i < line.length; i++) {
    if (line[i] !== '"') out += line[i];
    else if (line[i + 1] === '"') {
      out += '"';
      i++;
    } else return out;
  }
  return null;
}

function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

/**
 * Adds the codes through RewardsService.addCodes (the service of POST /loyalty/rewards/:id/codes), in
 * batches of what one call takes, each checked with the API's AddCodesDto. Codes repeated in the
 * file or already there count as duplicates skipped.
 */
export async function addCodesInBatches(rewards: RewardsService, actor: Actor, rewardId: string, codes: string[]): Promise<{ added: number; duplicates: number; available: number }> {
  let added = 0;
  let available = 0;
  for (let i = 0; i < codes.length; i += CODES_BATCH) {
    const { value, errors } = await validateWith(AddCodesDto, { codes: codes.slice(i, i + CODES_BATCH) });
    if (errors) throw new AppError('VALIDATION_FAILED', 400, Object.values(errors).join('; '), {}, [{ field: 'file', message: Object.values(errors).join('; ') }]);
    const result = await rewards.addCodes(actor, rewardId, value.codes);
    added += result.added;
    available = result.available;
  }
  return { added, duplicates: codes.length - added, available };
}
