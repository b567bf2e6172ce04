import { MIN_RESIDENCE_MS, Residency, RETRY_BUSY_MS, RETRY_TOO_BIG_MS } from './residency';

describe('Residency: which communities stay in memory', () => {
  let now: number;
  let r: Residency;
  const MB = 1024 * 1024;
  const searches = (id: string, n: number) => {
    for (let i = 0; i < n; i++) r.searched(id);
  };

  beforeEach(() => {
    now = Date.UTC(2026, 11, 1);
    r = new Residency(10 * MB, () => now);
  });

  it('loads what fits beside the residents', () => {
    expect(r.plan('a', 4 * MB, new Map())).toEqual([]);
    r.admitted('a');
    expect(r.plan('b', 6 * MB, new Map([['a', 4 * MB]]))).toEqual([]);
  });

  it('never loads a community bigger than the budget, and does not try again for ten minutes', () => {
    expect(r.plan('huge', 11 * MB, new Map())).toBeNull();
    expect(r.mayTry('huge')).toBe(false);
    now += RETRY_TOO_BIG_MS - 1;
    expect(r.mayTry('huge')).toBe(false);
    now += 1;
    expect(r.mayTry('huge')).toBe(true);
  });

  it('does not drop a resident loaded less than five minutes ago, however busy the newcomer', () => {
    searches('a', 1);
    r.admitted('a');
    searches('b', 50);
    expect(r.plan('b', 8 * MB, new Map([['a', 6 * MB]]))).toBeNull();
    expect(r.mayTry('b')).toBe(false);
    now += RETRY_BUSY_MS;
    expect(r.mayTry('b')).toBe(true);
  });

  it('drops the least searched residents that have been in memory five minutes, only for a busier newcomer', () => {
    r.admitted('a');
    r.admitted('c');
    now += MIN_RESIDENCE_MS;
    searches('a', 2);
    searches('c', 40);
    const residents = new Map([
      ['a', 4 * MB],
      ['c', 4 * MB],
    ]);
    // Searched less than both: refused.
    searches('b', 1);
    expect(r.plan('b', 5 * MB, residents)).toBeNull();
    // Busier than a, not than c: a makes room (2 MB free + a's 4 MB).
    now += RETRY_BUSY_MS;
    searches('b', 10);
    expect(r.plan('b', 5 * MB, residents)).toEqual(['a']);
    // Needing more than dropping a frees, and c is busier: refused, nothing dropped.
    expect(r.plan('b', 7 * MB, residents)).toBeNull();
  });

  it('counts searches with a one-minute half-life', () => {
    r.admitted('a');
    searches('a', 8);
    now += MIN_RESIDENCE_MS; // a's 8 searches are now worth 8 / 2^5 = 0.25
    searches('b', 1);
    expect(r.plan('b', 8 * MB, new Map([['a', 4 * MB]]))).toEqual(['a']);
  });
});
