import { seededRandom } from '../../../test/support/seed-text';
import { ThreadRow, ThreadStore } from './thread-store';

/**
 * The store's bookkeeping: documents replaced, counters changed in place, removals and the compaction that
 * follows many of them leave it answering exactly as a store built from the final rows. (That its ranking
 * equals PostgreSQL's is test/search-memory.e2e-spec.ts.)
 */
const BOARD = 'b0000000-0000-4000-8000-000000000000';
const OTHER = 'b1111111-1111-4111-8111-111111111111';

function row(i: number, words: string, extra: Partial<ThreadRow> = {}): ThreadRow {
  const lexemes = words.split(' ').map((w, p) => `'${w}':${p + 1}${p === 0 ? 'A' : ''}`);
  return {
    threadId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    boardId: BOARD,
    tags: [],
    skus: [],
    faq: false,
    answered: false,
    score: 0,
    replyCount: 0,
    lastPostAt: Date.UTC(2026, 0, 1),
    // The words as lexemes (no stemming here), each once, the first in the title (weight A).
    document: [...new Map(lexemes.map((l) => [l.slice(0, l.indexOf(':')), l])).values()].sort().join(' '),
    ...extra,
  };
}

const query = (store: ThreadStore, lexemes: string[], extra: Partial<Parameters<ThreadStore['search']>[0]> = {}) =>
  store.search({ lexemes, boardIds: new Set([BOARD]), k: 50, now: Date.UTC(2026, 5, 1), ...extra });

describe('ThreadStore', () => {
  it('answers like a fresh store after replacements, counter updates, removals and compaction', () => {
    const store = new ThreadStore();
    const final = new Map<string, ThreadRow>();
    const put = (r: ThreadRow) => {
      store.upsert(r);
      final.set(r.threadId, r);
    };
    for (let i = 0; i < 1_500; i++) put(row(i, i % 3 ? 'kettle descale guide' : 'grinder burr guide'));
    // New texts for most (dead numbers pile up past the live ones: a compaction), counters for others, some removed.
    for (let i = 0; i < 1_500; i++) {
      if (i % 10 === 0) {
        store.remove(row(i, '').threadId);
        final.delete(row(i, '').threadId);
      } else if (i % 4 === 0) put({ ...final.get(row(i, '').threadId)!, score: i, replyCount: i % 50, answered: i % 8 === 0 });
      else put(row(i, i % 2 ? 'kettle lid guide' : 'grinder descale kettle'));
    }
    for (let i = 0; i < 1_500; i++) if (i % 7 === 0 && final.has(row(i, '').threadId)) put(row(i, 'kettle descale whistle'));
    const fresh = new ThreadStore();
    for (const r of final.values()) fresh.upsert(r);
    expect(store.size).toBe(final.size);
    for (const lexemes of [['kettle'], ['descale', 'kettle'], ['guide'], ['grinder', 'burr'], ['whistle', 'kettle'], ['lid']]) {
      expect({ lexemes, found: query(store, lexemes) }).toEqual({ lexemes, found: query(fresh, lexemes) });
      expect(query(store, lexemes).total).toBeGreaterThan(0);
    }
  });

  it('filters by board, tag and SKU, and keeps filters changed without a new text', () => {
    const store = new ThreadStore();
    store.upsert(row(1, 'kettle descale', { tags: ['guide'], skus: ['X100'] }));
    store.upsert(row(2, 'kettle descale', { boardId: OTHER }));
    store.upsert(row(3, 'kettle descale', { tags: ['review'] }));
    const ids = (extra: Partial<Parameters<ThreadStore['search']>[0]>) => query(store, ['kettle'], extra).threadIds.map((id) => Number(id.slice(-3)));
    expect(ids({})).toEqual([1, 3]);
    expect(ids({ boardIds: new Set([BOARD, OTHER]) }).sort()).toEqual([1, 2, 3]);
    expect(ids({ tag: 'guide' })).toEqual([1]);
    expect(ids({ sku: 'X100' })).toEqual([1]);
    expect(ids({ sku: 'nope' })).toEqual([]);
    // The same text, new tags and board (a thread moved and retagged): in place.
    store.upsert(row(3, 'kettle descale', { tags: ['guide'], boardId: OTHER }));
    expect(ids({ tag: 'guide', boardIds: new Set([OTHER]) })).toEqual([3]);
    expect(ids({ tag: 'review', boardIds: new Set([BOARD, OTHER]) })).toEqual([]);
  });

  it('puts FAQ threads first, then by rank (boosts included), then by thread id', () => {
    const store = new ThreadStore();
    store.upsert(row(1, 'kettle descale'));
    store.upsert(row(2, 'kettle descale', { answered: true }));
    store.upsert(row(3, 'kettle descale', { faq: true }));
    store.upsert(row(4, 'kettle descale'));
    store.upsert(row(5, 'descale the old kettle'));
    const found = query(store, ['kettle', 'descale']);
    expect(found.threadIds.map((id) => Number(id.slice(-3)))).toEqual([3, 2, 1, 4, 5]);
    expect(query(store, ['kettle', 'descale'], { k: 2 }).threadIds.map((id) => Number(id.slice(-3)))).toEqual([3, 2]);
    expect(query(store, ['kettle', 'descale'], { k: 2 }).total).toBe(5);
    expect(query(store, ['kettle', 'nope']).total).toBe(0);
  });

  it('passes over candidates whose bound cannot enter the best k, and answers as when it ranks them all', () => {
    const random = seededRandom(11);
    const words = ['kettle', 'descale', 'lid', 'whistle', 'guide', 'steam', 'filter', 'handle'];
    const store = new ThreadStore();
    const rows: ThreadRow[] = [];
    for (let i = 0; i < 2_000; i++) {
      // Random lengths and positions (so the words' proximity, the rank's main term, varies), weights A to D, varied boosts.
      const length = 3 + Math.floor(random() * 120);
      const positions = new Map<string, string[]>();
      for (let p = 1; p <= length; p++) {
        const word = random() < 0.3 ? words[Math.floor(random() * words.length)] : `filler${Math.floor(random() * 50)}`;
        const weight = p <= 8 ? 'A' : p <= 40 ? 'B' : ['C', ''][Math.floor(random() * 2)];
        positions.set(word, [...(positions.get(word) ?? []), `${p}${weight}`]);
      }
      const document = [...positions].sort(([a], [b]) => (a < b ? -1 : 1)).map(([w, ps]) => `'${w}':${ps.join(',')}`).join(' ');
      rows.push({
        ...row(i, 'x'),
        document,
        faq: random() < 0.01,
        answered: random() < 0.2,
        score: Math.floor(random() * 200) - 20,
        replyCount: Math.floor(random() * 300),
        lastPostAt: Date.UTC(2024, 0, 1) + Math.floor(random() * 9e10),
      });
      store.upsert(rows[i]);
    }
    const check = () => {
    for (const lexemes of [['kettle', 'descale'], ['lid', 'whistle', 'steam'], ['guide'], ['filter', 'handle']]) {
      const all = query(store, lexemes, { k: 100_000 });
      expect(store.last.ranked).toBe(all.total);
      for (const k of [1, 5, 21, 60]) {
        const best = query(store, lexemes, { k });
        expect({ lexemes, k, ids: best.threadIds }).toEqual({ lexemes, k, ids: all.threadIds.slice(0, k) });
        expect(best.total).toBe(all.total);
        if (k <= 21) expect(store.last.ranked).toBeLessThan(all.total);
      }
    }
    };
    check();
    // Boosts raised in place (votes, replies, an accepted answer on the same text): the bounds rise with them.
    for (let i = 0; i < rows.length; i += 3) {
      rows[i] = { ...rows[i], answered: true, score: 500 + i, replyCount: 1_000 };
      store.upsert(rows[i]);
    }
    const fresh = new ThreadStore();
    rows.forEach((r) => fresh.upsert(r));
    for (const lexemes of [['kettle', 'descale'], ['guide']]) expect(query(store, lexemes, { k: 21 })).toEqual(query(fresh, lexemes, { k: 21 }));
    check();
  });
});
