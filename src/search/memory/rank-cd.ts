/**
 * An exact port of PostgreSQL's ts_rank_cd (src/backend/utils/adt/tsrank.c: calc_rank_cd with
 * get_docrep and Cover) for the one query shape the in-memory accelerator answers: an AND of plain
 * lexemes, normalisation 33 (RANK_NORM_LOGLENGTH | RANK_NORM_RDIVRPLUS1). Ported from the 9.6
 * tsrank.c, the newest copy at hand; that later releases rank this shape the same is what the spec
 * checks, bit for bit, against PGlite 0.5.16 (PostgreSQL 18.6); 12,000 pairs were also checked once
 * against PostgreSQL 15.20.
 *
 * Also the parser of a tsvector's text form (tsvectorout), which is how the accelerator loads
 * documents from the database.
 */

/** One lexeme of a document with its positions (1..16383) and weights (0=D,1=C,2=B,3=A; PG's WEP_GETWEIGHT numbering: A=3). */
export interface DocLexeme {
  lexeme: string;
  positions: number[];
  weights: number[];
}

/** MAXENTRYPOS - 1: the largest position a tsvector keeps; later words are clipped to it (LIMITPOS). */
const MAX_POSITION = 16383;

/** tsrank.c's default weights {D, C, B, A}, float4 like the C array; used for a negative weight. */
const DEFAULT_WEIGHTS = [0.1, 0.2, 0.4, 1.0].map(Math.fround);

const WEIGHT_LETTERS: Record<string, number> = { a: 3, b: 2, c: 1, d: 0 };

/**
 * Parses PostgreSQL's text output of a tsvector, e.g. `'coffe':3B,7 'grinder':1A 'it''s':2`.
 * tsvectorout quotes every lexeme, doubles a quote or a backslash inside it, prints positions in
 * ascending order with the weight letter after each (none for D) and omits the colon for a lexeme
 * without positions. Unquoted lexemes and lower-case or D letters (tsvectorin's wider syntax) are
 * accepted too. Positions past 16383 are clipped as tsvectorin does.
 */
export function parseTsvector(text: string): DocLexeme[] {
  const result: DocLexeme[] = [];
  let i = 0;
  const n = text.length;
  const fail = (what: string): never => {
    throw new SyntaxError(`tsvector text: ${what} at offset ${i} in ${JSON.stringify(text.slice(0, 80))}`);
  };
  while (true) {
    while (i < n && text[i] === ' ') i++;
    if (i >= n) break;
    let lexeme = '';
    if (text[i] === "'") {
      i++;
      while (true) {
        if (i >= n) fail('unterminated lexeme');
        const c = text[i];
        if (c === '\\') {
          if (i + 1 >= n) fail('dangling backslash');
          lexeme += text[i + 1];
          i += 2;
        } else if (c === "'") {
          if (text[i + 1] === "'") {
            lexeme += "'";
            i += 2;
          } else {
            i++;
            break;
          }
        } else {
          lexeme += c;
          i++;
        }
      }
    } else {
      while (i < n && text[i] !== ' ' && text[i] !== ':') {
        if (text[i] === '\\' && i + 1 < n) i++;
        lexeme += text[i++];
      }
    }
    const positions: number[] = [];
    const weights: number[] = [];
    if (text[i] === ':') {
      i++;
      while (true) {
        const start = i;
        while (i < n && text[i] >= '0' && text[i] <= '9') i++;
        if (i === start) fail('expected a position');
        const position = Math.min(Number(text.slice(start, i)), MAX_POSITION);
        if (position === 0) fail('position 0');
        let weight = 0;
        const letter = i < n ? WEIGHT_LETTERS[text[i].toLowerCase()] : undefined;
        if (letter !== undefined) {
          weight = letter;
          i++;
        }
        positions.push(position);
        weights.push(weight);
        if (text[i] !== ',') break;
        i++;
      }
    }
    if (i < n && text[i] !== ' ') fail('unexpected character');
    result.push({ lexeme, positions, weights });
  }
  return result;
}

/**
 * Packs one lexeme's positions as (position << 2) | weight, 16 bits each, the layout of PG's
 * WordEntryPos (there the weight sits in the top two bits; here in the low two, so that sorting the
 * packed values sorts by position, then weight, as compareDocR does). Sorted and de-duplicated like
 * tsvectorin's uniquePos: for a repeated position the higher weight is kept.
 */
export function packPositions(positions: number[], weights: number[]): Uint16Array {
  if (positions.length !== weights.length) throw new RangeError('positions and weights differ in length');
  const packed: number[] = [];
  for (let j = 0; j < positions.length; j++) {
    const position = positions[j];
    const weight = weights[j];
    if (!Number.isInteger(position) || position < 1 || position > MAX_POSITION) {
      throw new RangeError(`position ${position} is outside 1..${MAX_POSITION}`);
    }
    if (!Number.isInteger(weight) || weight < 0 || weight > 3) throw new RangeError(`weight ${weight} is outside 0..3`);
    packed.push((position << 2) | weight);
  }
  packed.sort((a, b) => a - b);
  const out: number[] = [];
  for (const value of packed) {
    // Same position: the later value has the higher weight, and replaces the earlier one.
    if (out.length > 0 && out[out.length - 1] >> 2 === value >> 2) out[out.length - 1] = value;
    else out.push(value);
  }
  return Uint16Array.from(out);
}

/** cnt_length of a parsed document: each position counts 1, a lexeme without positions counts 1. */
export function docLength(doc: DocLexeme[]): number {
  let length = 0;
  for (const entry of doc) length += entry.positions.length === 0 ? 1 : entry.positions.length;
  return length;
}

/**
 * PG's lexeme order (tsCompareString without prefix): byte-wise over UTF-8, a prefix first. This is
 * the order of a tsvector's entries, and so the tie-break of rankCd (see there).
 */
export function compareLexemes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function samePositions(a: Uint16Array, b: Uint16Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let j = 0; j < a.length; j++) if (a[j] !== b[j]) return false;
  return true;
}

/**
 * ts_rank_cd(weights, doc, query, 33) for a query that is the AND of `terms` (plain lexemes: no
 * prefix, no weight restriction, no NOT/OR/phrase), where `termPositions[i]` is the packed positions
 * of terms[i] in the document (an empty array when the document lacks it), `docLength` is
 * cnt_length(doc) and `weights` is ts_rank_cd's {D, C, B, A}. Returns PG's float4 result.
 *
 * `terms` (optional, the lexemes themselves) makes the result exact in two corners the positions
 * alone cannot settle; without it they are approximated as described below:
 * - get_docrep merges the query operands that name the same lexeme ('kettl' & 'kettl') into one
 *   entry per position, so a repeated term ranks as the term alone. With `terms`, equal strings are
 *   merged. Without, the same array object or arrays of equal content are: right for documents
 *   from to_tsvector, except that two different lexemes present only at the clipped position 16383
 *   (documents past 16383 words) with the same weight look alike and are wrongly merged.
 * - compareDocR sorts by position, then weight, then tsvector entry, i.e. lexeme order. Different
 *   lexemes share a position only when clipped to 16383. With `terms` the tie is broken by
 *   compareLexemes as in PG; without, by the index in termPositions (pass them in lexeme order).
 *
 * The rest follows the C code directly:
 * - Cover, for an AND of operands, scans forward from `start` to the first entry `e` at which every
 *   operand has been seen, back from `e` to the last entry `b` at which every operand has been seen
 *   again, and resumes at b + 1. Its other branch (p > q, retry from start + 1) needs a NOT and is
 *   unreachable here; so is its check that the upper bound's position exceeds 0 (positions are >= 1).
 * - Each cover adds Cpos / (1 + nNoise), Cpos = entries / sum(1 / weight), nNoise = (q - p) minus
 *   (entries - 1), or (entries - 1) / 2 in integer division when that is negative (several entries at
 *   one clipped position). A weight of 0 gives 1 / 0 = Infinity in the sum and so adds 0, as in C.
 * - A term absent from the document (or stored without positions) leaves no cover: 0, the same as PG
 *   returns (and @@ would not match).
 * The arithmetic is in doubles as in C, with the weights read as float4 and the final cast to float4.
 */
export function rankCd(
  termPositions: Uint16Array[],
  docLength: number,
  weights: readonly [number, number, number, number],
  terms?: readonly string[],
): number {
  const invws = inverseWeights(weights);
  if (terms && terms.length !== termPositions.length) throw new RangeError('terms and termPositions differ in length');
  if (termPositions.some((positions) => positions.length === 0)) return 0;

  let operands: Uint16Array[];
  if (terms) {
    const byTerm = new Map<string, Uint16Array>();
    terms.forEach((term, i) => byTerm.set(term, termPositions[i]));
    operands = [...byTerm.keys()].sort(compareLexemes).map((term) => byTerm.get(term)!);
  } else {
    operands = [];
    for (const positions of termPositions) {
      if (!operands.some((known) => samePositions(known, positions))) operands.push(positions);
    }
  }
  return rankCdOperands(operands, docLength, invws);
}

/** Inverse weights for rankCdOperands (computed once per search). */
export function inverseWeights(weights: readonly [number, number, number, number]): Float64Array {
  const invws = new Float64Array(4);
  for (let w = 0; w < 4; w++) {
    const given = Math.fround(weights[w]);
    const weight = given >= 0 ? given : DEFAULT_WEIGHTS[w];
    if (weight > 1) throw new RangeError('weight out of range');
    invws[w] = 1 / weight;
  }
  return invws;
}

/** Scratch arrays of the doc representation, grown as needed (ranking allocates nothing per document). */
let operandOf = new Int32Array(64);
let positionOf = new Int32Array(64);
let weightOf = new Int32Array(64);
let heads = new Int32Array(8);
let seen = new Int32Array(8);
let stamp = 0;

/**
 * rankCd's core for operands already de-duplicated and in PostgreSQL's lexeme order (see rankCd), each
 * non-empty: the doc representation is a merge of the operands' packed positions (by position, weight,
 * then operand), then the covers.
 */
export function rankCdOperands(operands: readonly Uint16Array[], docLength: number, invws: Float64Array): number {
  const { pool, from, to } = slicesOf(operands);
  return rankCdSlices(pool, from, to, operands.length, docLength, invws);
}

/** The operands' packed positions in one pool, operand k's at pool[from[k]..to[k]) (rankCdSlices' input). */
export function slicesOf(operands: readonly Uint16Array[]): { pool: Uint16Array; from: Int32Array; to: Int32Array } {
  const from = new Int32Array(operands.length);
  const to = new Int32Array(operands.length);
  const pool = new Uint16Array(operands.reduce((n, o) => n + o.length, 0));
  let at = 0;
  operands.forEach((o, k) => {
    pool.set(o, at);
    from[k] = at;
    at += o.length;
    to[k] = at;
  });
  return { pool, from, to };
}

/**
 * rankCdOperands over slices of one array: operand k's packed positions are pool[from[k]..to[k]) (what
 * the in-memory index keeps per document), so ranking a document allocates nothing.
 */
export function rankCdSlices(pool: Uint16Array, from: Int32Array, to: Int32Array, nOps: number, docLength: number, invws: Float64Array): number {
  return normalizeCd(coverDensitySlices(pool, from, to, nOps, invws), docLength);
}

/** ts_rank_cd's normalisation 33 of a cover density (coverDensitySlices): the last step of rankCdSlices, apart. */
export function normalizeCd(wdoc: number, docLength: number): number {
  if (docLength > 0) wdoc /= Math.log(docLength + 1);
  wdoc /= wdoc + 1;
  return Math.fround(wdoc);
}

/**
 * The sum over the covers (Wdoc in calc_rank_cd) before normalisation, so that a caller can bound the
 * rank before it reads what the normalisation needs.
 */
export function coverDensitySlices(pool: Uint16Array, from: Int32Array, to: Int32Array, nOps: number, invws: Float64Array): number {
  if (nOps === 0) return 0;
  let total = 0;
  for (let k = 0; k < nOps; k++) {
    if (to[k] <= from[k]) return 0;
    total += to[k] - from[k];
  }
  if (operandOf.length < total) {
    const size = Math.max(total, operandOf.length * 2);
    operandOf = new Int32Array(size);
    positionOf = new Int32Array(size);
    weightOf = new Int32Array(size);
  }
  if (heads.length < nOps) {
    heads = new Int32Array(nOps * 2);
    seen = new Int32Array(nOps * 2);
  }
  for (let k = 0; k < nOps; k++) heads[k] = from[k];
  for (let j = 0; j < total; j++) {
    let best = -1;
    let bestPacked = 0;
    for (let k = 0; k < nOps; k++) {
      const h = heads[k];
      if (h < to[k] && (best < 0 || pool[h] < bestPacked)) {
        best = k;
        bestPacked = pool[h];
      }
    }
    heads[best]++;
    operandOf[j] = best;
    positionOf[j] = bestPacked >> 2;
    weightOf[j] = bestPacked & 3;
  }

  let wdoc = 0;
  let start = 0;
  while (true) {
    // Upper bound: the first entry from `start` at which the whole query is satisfied.
    stamp++;
    let count = 0;
    let end = start;
    for (; end < total; end++) {
      const k = operandOf[end];
      if (seen[k] !== stamp) {
        seen[k] = stamp;
        if (++count === nOps) break;
      }
    }
    if (end >= total) break;
    // Lower bound: walking back from `end`, the first entry at which it is satisfied again.
    stamp++;
    count = 0;
    let begin = end;
    for (; begin >= start; begin--) {
      const k = operandOf[begin];
      if (seen[k] !== stamp) {
        seen[k] = stamp;
        if (++count === nOps) break;
      }
    }
    const q = positionOf[end];
    const p = positionOf[begin];

    let invSum = 0;
    for (let j = begin; j <= end; j++) invSum += invws[weightOf[j]];
    const cpos = (end - begin + 1) / invSum;
    let nNoise = q - p - (end - begin);
    if (nNoise < 0) nNoise = Math.trunc((end - begin) / 2);
    wdoc += cpos / (1 + nNoise);

    start = begin + 1;
  }
  return wdoc;
}
