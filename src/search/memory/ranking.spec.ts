import { seededRandom } from '../../../test/support/seed-text';
import { coverDensitySlices, packPositions, slicesOf } from './rank-cd';
import { densityBound, densityBoundOfCounts, INVERSE_WEIGHTS, pairDensityBound } from './ranking';

/** The bounds that let a search pass over candidates never fall below the exact cover density they bound. */
describe('ranking bounds', () => {
  const random = seededRandom(23);
  /** A word's packed positions: `count` distinct positions in 1..span (span 16383 clips), random weights. */
  const word = (count: number, span: number) => {
    const positions = [...new Set(Array.from({ length: count }, () => 1 + Math.floor(random() * span)))];
    return packPositions(positions, positions.map(() => Math.floor(random() * 4)));
  };
  const highest = (packed: Uint16Array) => packed.reduce((w, p) => Math.max(w, p & 3), 0);
  const density = (words: Uint16Array[]) => {
    const { pool, from, to } = slicesOf(words);
    return coverDensitySlices(pool, from, to, words.length, INVERSE_WEIGHTS);
  };

  it('bounds two words by their switches and the harmonic mean of their highest weights', () => {
    let tight = 0;
    for (let i = 0; i < 20_000; i++) {
      const span = [3, 12, 60, 400][i % 4];
      const a = word(1 + Math.floor(random() * 6), span);
      const b = word(1 + Math.floor(random() * 6), span);
      const exact = density([a, b]);
      const bound = pairDensityBound(a.length, highest(a), b.length, highest(b));
      expect(bound).toBeGreaterThanOrEqual(exact);
      expect(bound).toBeLessThanOrEqual(densityBoundOfCounts(a.length + b.length, 2, Math.max(highest(a), highest(b))));
      if (bound === exact) tight++;
    }
    // Adjacent words with their highest weights reach it: the bound is not loose by construction.
    expect(tight).toBeGreaterThan(100);
  });

  it('bounds any number of words by entries - words + 1 covers at the highest weight', () => {
    for (let i = 0; i < 5_000; i++) {
      const words = Array.from({ length: 2 + (i % 3) }, () => word(1 + Math.floor(random() * 5), [4, 30, 16383][i % 3]));
      const entries = words.reduce((n, w) => n + w.length, 0);
      expect(densityBoundOfCounts(entries, words.length, Math.max(...words.map(highest)))).toBeGreaterThanOrEqual(density(words));
    }
  });

  it('normalises a density bound upwards', () => {
    for (const [d, invLog] of [[0, 1], [0.4, 0.2], [3.5, 1 / Math.log(81)], [100, 0.1]]) {
      const w = d * invLog;
      expect(densityBound(d, invLog)).toBeGreaterThanOrEqual(Math.fround(w / (w + 1)));
    }
  });
});
