import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppError } from '../errors/app-error';
import type { Db } from '../database/db.service';
import type { Page } from './pagination';

/** The type of one keyset value in a cursor. */
export type CursorField = 'int' | 'number' | 'uuid' | 'timestamp' | 'bool' | 'text';

/** What a list's cursor holds: a name (the list and its sort order) and the types of its keyset values. */
export interface CursorKind<T extends unknown[]> {
  readonly name: string;
  readonly fields: readonly CursorField[];
  /** Phantom: the decoded tuple's type. */
  readonly _values?: T;
}

export function cursorKind<T extends unknown[]>(name: string, ...fields: CursorField[]): CursorKind<T> {
  return { name, fields };
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TIMESTAMP_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(Z|[+-]\d{2}(:?\d{2})?)$/;
const TAG_LENGTH = 22; // base64url characters: 128 bits of HMAC-SHA256
const MAX_INT = 2 ** 31 - 1;

export const invalidCursor = () =>
  new AppError('INVALID_CURSOR', 400, 'The cursor is not valid for this list; start again without one', {}, [
    { field: 'cursor', message: 'cursor is not valid' },
  ]);

function valid(field: CursorField, value: unknown): boolean {
  switch (field) {
    case 'int':
      return Number.isInteger(value) && Math.abs(value as number) <= MAX_INT;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) < 1e15;
    case 'uuid':
      return typeof value === 'string' && UUID_RE.test(value);
    case 'timestamp': {
      const m = typeof value === 'string' ? TIMESTAMP_RE.exec(value) : null;
      if (!m) return false;
      const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
      return year >= 1970 && month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour < 24 && minute < 60 && second < 60
        && new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day;
    }
    case 'bool':
      return typeof value === 'boolean';
    case 'text':
      return typeof value === 'string' && value.length <= 200 && !value.includes('\u0000');
  }
}

/**
 * Cursors are opaque to clients: the keyset values of the last row, as base64url JSON, signed with
 * a server key (HMAC-SHA256, bound to the list and its sort order). A cursor from another list or
 * sort, a tampered one or a forged one is refused with 400 INVALID_CURSOR before it reaches SQL;
 * the values of a genuine one are still checked against their declared types.
 */
@Injectable()
export class Cursors {
  constructor(private readonly key: Buffer) {}

  encode<T extends unknown[]>(kind: CursorKind<T>, values: T): string {
    const payload = Buffer.from(JSON.stringify(values)).toString('base64url');
    return `${payload}.${this.tag(kind, payload)}`;
  }

  /** null when there is no cursor (the first page); throws 400 INVALID_CURSOR for anything but a genuine cursor of this kind. */
  decode<T extends unknown[]>(kind: CursorKind<T>, cursor: string | undefined | null): T | null {
    if (cursor === undefined || cursor === null || cursor === '') return null;
    const dot = cursor.indexOf('.');
    if (dot <= 0 || cursor.length > 1000) throw invalidCursor();
    const payload = cursor.slice(0, dot);
    const given = Buffer.from(cursor.slice(dot + 1));
    const expected = Buffer.from(this.tag(kind, payload));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalidCursor();
    let values: unknown;
    try {
      values = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      throw invalidCursor();
    }
    if (!Array.isArray(values) || values.length !== kind.fields.length) throw invalidCursor();
    if (!kind.fields.every((field, i) => valid(field, values[i]))) throw invalidCursor();
    return values as T;
  }

  /** Given limit+1 fetched rows, returns the page and the cursor of its last item. */
  page<R, V, T extends unknown[]>(kind: CursorKind<T>, rows: R[], limit: number, map: (row: R) => V, key: (row: R) => T): Page<V> {
    const hasMore = rows.length > limit;
    const pageRows = hasMore ? rows.slice(0, limit) : rows;
    return { items: pageRows.map(map), nextCursor: hasMore ? this.encode(kind, key(pageRows[pageRows.length - 1])) : null };
  }

  private tag(kind: CursorKind<unknown[]>, payload: string): string {
    return createHmac('sha256', this.key).update(`${kind.name}\n${payload}`).digest('base64url').slice(0, TAG_LENGTH);
  }
}

/**
 * The deployment's cursor key: made once, kept in the database, so every instance signs alike and
 * cursors survive restarts.
 */
export async function loadCursorKey(db: Db): Promise<Buffer> {
  await db.query(`INSERT INTO server_secrets (name, secret) VALUES ('cursor', $1) ON CONFLICT (name) DO NOTHING`, [randomBytes(32).toString('hex')]);
  const [row] = await db.query<{ secret: string }>(`SELECT secret FROM server_secrets WHERE name = 'cursor'`);
  return Buffer.from(row.secret, 'hex');
}
