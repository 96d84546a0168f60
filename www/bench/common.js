// Shared by the benchmark page and its workers: the workloads, the encoding of the ONNX peer,
// timing and statistics. Plain ES module; no DOM.

/** Sequences in the throughput batch. */
export const BATCH = 256;

/** Mutants of one sequence: the 80-bp random region (x 3) and all 110 positions (x 3). */
export const MUTANTS = { random_region: 240, all_positions: 330 };

/** 0-based start and length of the random region in a 110-bp construct. */
export const RANDOM_START = 17;
export const RANDOM_LEN = 80;
export const CONSTRUCT_LEN = 110;

/**
 * The `seq` column of a TSV with a header (tests/data/dream_test_sample.tsv).
 * @param {string} text
 * @returns {string[]} upper-case sequences
 */
export function sequencesOfTsv(text) {
  const lines = text.split(/\r?\n/).filter((l) => l.trim());
  const col = lines[0].split('\t').indexOf('seq');
  if (col < 0) throw new Error('the sample TSV has no "seq" column');
  return lines.slice(1).map((l) => l.split('\t')[col].trim().toUpperCase());
}

/**
 * The throughput batch: `sequences` repeated to `n`.
 * @param {string[]} sequences
 * @param {number} [n]
 */
export function repeatTo(sequences, n = BATCH) {
  return Array.from({ length: n }, (_, i) => sequences[i % sequences.length]);
}

/**
 * The naive ISM batch of a 110-bp construct: the reference first, then every single-base
 * substitution at `positions` (position-major, alternatives in ACGT order), as the library.
 * @param {string} construct
 * @param {'random_region'|'all_positions'} positions
 * @returns {string[]}
 */
export function ismBatch(construct, positions) {
  const [start, end] = positions === 'all_positions' ? [0, CONSTRUCT_LEN] : [RANDOM_START, RANDOM_START + RANDOM_LEN];
  const out = [construct];
  for (let p = start; p < end; p++) {
    for (const b of 'ACGT') {
      if (b !== construct[p]) out.push(construct.slice(0, p) + b + construct.slice(p + 1));
    }
  }
  return out;
}

const ONE_HOT = { A: [1, 0, 0, 0], C: [0, 1, 0, 0], G: [0, 0, 1, 0], T: [0, 0, 0, 1], N: [0, 0, 0, 0] };
const PURINE = {
  A: [1, 0, 0, 0, 1],
  C: [0, 1, 0, 0, 0],
  G: [0, 0, 1, 0, 1],
  T: [0, 0, 0, 1, 0],
  N: [0.25, 0.25, 0.25, 0.25, 0.5],
};

/**
 * The reference encoding (tests/reference/camformer_reference.py) of 110-bp constructs as the
 * ONNX model's input: float32 [N, C, 110, 1], C = 5 (one_hot_purine) or 4 (one_hot).
 * @param {string[]} constructs
 * @param {'one_hot_purine'|'one_hot'} encoding
 * @returns {{data: Float32Array, dims: number[]}}
 */
export function encode(constructs, encoding = 'one_hot_purine') {
  const table = encoding === 'one_hot' ? ONE_HOT : PURINE;
  const c = encoding === 'one_hot' ? 4 : 5;
  const L = CONSTRUCT_LEN;
  const data = new Float32Array(constructs.length * c * L);
  constructs.forEach((s, n) => {
    if (s.length !== L) throw new Error(`sequence ${n + 1}: ${s.length} bp, the ONNX peer needs 110-bp constructs`);
    for (let l = 0; l < L; l++) {
      const v = table[s[l]];
      if (!v) throw new Error(`sequence ${n + 1}: invalid base '${s[l]}' at position ${l + 1}`);
      for (let k = 0; k < c; k++) data[(n * c + k) * L + l] = v[k];
    }
  });
  return { data, dims: [constructs.length, c, L, 1] };
}

/** Median of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/**
 * One warm-up call (unless `warmup` is 0), then `reps` timed calls of an async function whose
 * promise resolves only after the results have been read back.
 * @param {() => Promise<unknown>} fn
 * @param {{reps: number, warmup?: number}} options
 * @returns {Promise<{median_s: number, min_s: number, runs_s: number[], warmup_s: number[], last: unknown}>}
 */
export async function timed(fn, { reps, warmup = 1 }) {
  const warm = [];
  let last;
  for (let i = 0; i < warmup; i++) {
    const t = performance.now();
    last = await fn();
    warm.push((performance.now() - t) / 1000);
  }
  const runs = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    last = await fn();
    runs.push((performance.now() - t) / 1000);
  }
  return { median_s: median(runs), min_s: Math.min(...runs), runs_s: runs, warmup_s: warm, last };
}

/** max |a - b| over two equal-length arrays. */
export function maxAbsDiff(a, b) {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** An error's message. */
export function messageOf(err) {
  return err instanceof Error ? err.message : String(err);
}
