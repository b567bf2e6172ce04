import { rangePieces } from './insights.repository';

const dayNumber = (day: string) => Math.round(Date.parse(`${day}T00:00:00Z`) / 86_400_000);
const day = (n: number) => new Date(n * 86_400_000).toISOString().slice(0, 10);

/** The days a range's pieces stand for, in order. */
function daysOf(pieces: ReturnType<typeof rangePieces>): number[] {
  const out = [...pieces.days.map(dayNumber)];
  for (const { level, block } of pieces.blocks) for (let d = block << level; d < (block + 1) << level; d++) out.push(d);
  return out.sort((a, b) => a - b);
}

describe('rangePieces (the blocks of active days a dashboard range reads)', () => {
  it('covers every day of any range exactly once, with aligned blocks of 8..64 days and at most 7 single days at each end', () => {
    const start = dayNumber('2025-12-20');
    for (let from = start; from < start + 70; from++) {
      for (const length of [1, 2, 3, 7, 30, 31, 63, 64, 65, 90, 127, 128, 366]) {
        const to = from + length - 1;
        const pieces = rangePieces(day(from), day(to));
        expect(daysOf(pieces)).toEqual(Array.from({ length }, (_, i) => from + i));
        for (const b of pieces.blocks) {
          expect(b.level).toBeGreaterThanOrEqual(3);
          expect(b.level).toBeLessThanOrEqual(6);
        }
        expect(pieces.days.length).toBeLessThanOrEqual(14);
        if (length <= 128) expect(pieces.blocks.length).toBeLessThanOrEqual(8);
      }
    }
  });

  it('uses whole blocks where they fit: a 64-day aligned range is one block; a week is days', () => {
    const aligned = 64 * 320; // 2026-01-27 is day 20,480 = 64 × 320
    expect(rangePieces(day(aligned), day(aligned + 63))).toEqual({ blocks: [{ level: 6, block: 320 }], days: [] });
    expect(rangePieces('2026-03-01', '2026-03-01')).toEqual({ blocks: [], days: ['2026-03-01'] });
    expect(rangePieces(day(aligned), day(aligned + 6)).days).toHaveLength(7);
    expect(rangePieces(day(aligned - 1), day(aligned + 8))).toEqual({ blocks: [{ level: 3, block: aligned >> 3 }], days: [day(aligned - 1), day(aligned + 8)] });
    expect(rangePieces('2026-03-02', '2026-03-01')).toEqual({ blocks: [], days: [] });
  });
});
