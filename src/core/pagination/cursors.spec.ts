import { AppError } from '../errors/app-error';
import { cursorKind, Cursors } from './cursors';

const latest = cursorKind<[boolean, string, string]>('threads:latest', 'bool', 'timestamp', 'uuid');
const top = cursorKind<[number, string, string]>('threads:top', 'number', 'timestamp', 'uuid');
const ID = '3f2b8c1e-9a4d-4e2f-8b1a-0c9d8e7f6a5b';

function codeOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    return err instanceof AppError ? `${err.status} ${err.code}` : String(err);
  }
}

describe('Cursors', () => {
  const cursors = new Cursors(Buffer.alloc(32, 7));

  it('round-trips the keyset values of its own kind', () => {
    const values: [boolean, string, string] = [true, '2026-11-30T04:41:17.123Z', ID];
    expect(cursors.decode(latest, cursors.encode(latest, values))).toEqual(values);
    expect(cursors.decode(latest, undefined)).toBeNull();
    expect(cursors.decode(latest, '')).toBeNull();
  });

  it('refuses a cursor of another list or sort order, even with values that would fit', () => {
    const fromTop = cursors.encode(top, [1, '2026-11-30T04:41:17.123Z', ID]);
    expect(codeOf(() => cursors.decode(latest, fromTop))).toBe('400 INVALID_CURSOR');
  });

  it('refuses a cursor with any character changed, or signed with another key', () => {
    const good = cursors.encode(latest, [false, '2026-11-30T04:41:17.123Z', ID]);
    for (let i = 0; i < good.length; i++) {
      const c = good[i] === 'A' ? 'B' : 'A';
      const bad = good.slice(0, i) + c + good.slice(i + 1);
      expect(codeOf(() => cursors.decode(latest, bad))).toBe('400 INVALID_CURSOR');
    }
    const other = new Cursors(Buffer.alloc(32, 8));
    expect(codeOf(() => cursors.decode(latest, other.encode(latest, [false, '2026-11-30T04:41:17.123Z', ID])))).toBe('400 INVALID_CURSOR');
  });

  it('refuses forged and garbage cursors', () => {
    const forged = Buffer.from(JSON.stringify([true, '99999-01-01', 'x'])).toString('base64url');
    for (const c of [forged, `${forged}.AAAAAAAAAAAAAAAAAAAAAA`, '.', 'x.y', 'a'.repeat(2000), '\u0000', '%%%.%%%']) {
      expect(codeOf(() => cursors.decode(latest, c))).toBe('400 INVALID_CURSOR');
    }
  });

  it('checks the types of a genuinely signed cursor too (a server bug must not reach SQL)', () => {
    const ints = cursorKind<[number]>('n', 'int');
    expect(codeOf(() => cursors.decode(ints, cursors.encode(ints, [1.5])))).toBe('400 INVALID_CURSOR');
    expect(codeOf(() => cursors.decode(ints, cursors.encode(ints, [2 ** 40])))).toBe('400 INVALID_CURSOR');
    const stamps = cursorKind<[string]>('t', 'timestamp');
    expect(codeOf(() => cursors.decode(stamps, cursors.encode(stamps, ['20000-01-01T00:00:00Z'])))).toBe('400 INVALID_CURSOR');
    expect(cursors.decode(stamps, cursors.encode(stamps, ['2026-01-01 10:00:00.123456+00']))).toEqual(['2026-01-01 10:00:00.123456+00']);
  });

  it('pages rows with the cursor of the last one', () => {
    const kind = cursorKind<[number]>('n', 'int');
    const page = cursors.page(kind, [{ n: 1 }, { n: 2 }, { n: 3 }], 2, (r) => r.n * 10, (r) => [r.n]);
    expect(page.items).toEqual([10, 20]);
    expect(cursors.decode(kind, page.nextCursor)).toEqual([2]);
    expect(cursors.page(kind, [{ n: 1 }], 2, (r) => r.n, (r) => [r.n]).nextCursor).toBeNull();
  });
});
