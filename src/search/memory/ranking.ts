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
 * An upper bound on ts_rank_cd(..., 33) for a document with `covers` covers at most and no weight above
 * `weight`: each cover adds at most the harmonic mean of its entries' weights (so at most the highest),
 * divided by 1 + its noise (>= 0); there are at most entries - operands + 1 covers (each starts one entry
 * further on, and holds every operand). Then the normalisation with the ceiling's 1 / ln(length + 1).
 */
export function rankBound(covers: number, weight: number, invLog: number): number {
  // A word stored without positions (never in documents from to_tsvector) leaves no cover: rank 0.
  return densityBound(Math.max(covers, 0) * weight, invLog);
}

/** An upper bound on ts_rank_cd(..., 33) from its cover density (the sum over covers, before normalisation). */
export function densityBound(density: number, invLog: number): number {
  const w = density * invLog;
  return (w / (w + 1)) * MARGIN;
}

/** Candidates are ranked bucket by bucket, from the highest bound down; bounds are below BOUND_LIMIT (rank < 1, boost <= 1.45). */
export const BUCKETS = 1024;
export const BOUND_LIMIT = 1.5;
