import { inverseWeights } from './rank-cd';

/**
 * The ranking's constants and bounds for ThreadStore: PgSearchIndex's weights and boosts in float8 as
 * there, and the upper bounds that let a search pass over a candidate without reading its positions or
 * its record.
 */

/** ts_rank_cd's weights {D, C, B, A} as PgSearchIndex uses them: title 1.0, first post and answers 0.4. */
export const INVERSE_WEIGHTS = inverseWeights([0.1, 0.4, 0.4, 1.0]);
/** The weights by code (D, C, B, A) as ts_rank_cd reads them. */
export const WEIGHT = Array.from(INVERSE_WEIGHTS, (inverse) => 1 / inverse);
const LN_101 = Math.log(101);
/** Margin of every bound above the exact value (float4's rounding of the rank, float8's of the rest). */
const MARGIN = 1 + 1e-6;

/** PgSearchIndex's BOOST, in float8 as there (recency from `now`, ms since the epoch). */
export function boost(answered: boolean, score: number, replies: number, lastPostAt: number, now: number): number {
  const age = Math.max((now - lastPostAt) / 1000, 0);
  return (
    1 +
    0.25 * (answered ? 1 : 0) +
    0.1 * Math.min(Math.log(1 + Math.max(score, 0)) / LN_101, 1) +
    0.05 * Math.min(Math.log(1 + replies) / LN_101, 1) +
    0.05 * Math.exp(-age / 22896000)
  );
}

/**
 * A document's ceiling, kept in its every posting (31 bits): 1 / ln(length + 1) (1 for an empty document,
 * which is not divided) in the high 16 bits, its highest boost (recency at its most, age 0) in the low 15,
 * each rounded up, so that what is read back is never below the exact value.
 */
const INV_LOG_LIMIT = 1.5;
const BOOST_SPAN = 0.5;

export function packCeiling(length: number, highestBoost: number): number {
  const invLog = length > 0 ? 1 / Math.log(length + 1) : 1;
  const high = Math.ceil((invLog / INV_LOG_LIMIT) * 0xffff);
  const low = Math.ceil(((highestBoost - 1) / BOOST_SPAN) * 0x7fff);
  return (high << 15) | low;
}

export const ceilingInvLog = (ceiling: number) => ((ceiling >>> 15) / 0xffff) * INV_LOG_LIMIT;
export const ceilingBoost = (ceiling: number) => 1 + ((ceiling & 0x7fff) / 0x7fff) * BOOST_SPAN;

/**
 * Upper bounds on the cover density (calc_rank_cd's Wdoc, the sum over covers of Cpos / (1 + noise),
 * noise >= 0) from each word's count of positions and highest weight code, before the positions are read.
 *
 * Any number of words: at most entries - words + 1 covers (each starts one entry further on, and holds
 * every word), each worth at most the highest weight (Cpos is the harmonic mean of its entries' weights).
 */
export function densityBoundOfCounts(entries: number, words: number, highestWeight: number): number {
  // A word stored without positions (never in documents from to_tsvector) leaves no cover: rank 0.
  return Math.max(entries - words + 1, 0) * WEIGHT[highestWeight];
}

/**
 * Two words: Cover then finds each cover as two adjacent entries, one of each word (forward to the first
 * entry of the second word seen, back to the entry before it), so a cover is a switch between the words
 * in the merged positions: at most entries - 1, and at most twice the rarer word's count (each run of it
 * has two ends). Each is worth 2 / (1/w1 + 1/w2) for its two weights, at most the same for the words'
 * highest weights (computed as calc_rank_cd does, so the bound holds in floating point too).
 */
export function pairDensityBound(count1: number, weight1: number, count2: number, weight2: number): number {
  if (count1 === 0 || count2 === 0) return 0;
  const covers = Math.min(count1 + count2 - 1, 2 * Math.min(count1, count2));
  return covers * (2 / (INVERSE_WEIGHTS[weight1] + INVERSE_WEIGHTS[weight2]));
}

/** An upper bound on ts_rank_cd(..., 33) from a bound on its cover density (normalised with the ceiling's 1 / ln(length + 1)). */
export function densityBound(density: number, invLog: number): number {
  const w = density * invLog;
  return (w / (w + 1)) * MARGIN;
}

/** Candidates are ranked bucket by bucket, from the highest bound down; bounds are below BOUND_LIMIT (rank < 1, boost <= 1.45). */
export const BUCKETS = 1024;
export const BOUND_LIMIT = 1.5;
