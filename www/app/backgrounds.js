// Motif pair interactions over many backgrounds, the parts both sides need: the worker
// (app/worker/motifs.js) runs a pair or matrix over its share of the backgrounds, and the
// page's worker pool (app/pool.js) splits one job across workers and merges their summaries.
// So the random backgrounds and the merge rules are written once, here.

const MASK = (1n << 64n) - 1n;
const GOLDEN = 0x9e3779b97f4a7c15n;

/**
 * SplitMix64 random 80-bp regions, base for base as the wasm's `random_backgrounds(n, seed)`:
 * regions `first .. first + n` of that stream. The generator's state only advances by a constant
 * per base, so any stretch of the stream is reached without drawing what comes before it; a
 * worker can draw its share of a pool job's backgrounds itself.
 * @param {number} n
 * @param {number|bigint} seed
 * @param {number} [first] index of the first region in the seed's stream
 * @returns {string[]}
 */
export function randomRegions(n, seed, first = 0) {
  let s = BigInt.asUintN(64, BigInt(seed) + GOLDEN * 80n * BigInt(first));
  const out = [];
  for (let i = 0; i < n; i++) {
    let region = '';
    for (let k = 0; k < 80; k++) {
      s = (s + GOLDEN) & MASK;
      let z = s;
      z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK;
      z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK;
      region += 'ACGT'[Number((z ^ (z >> 31n)) >> 62n)];
    }
    out.push(region);
  }
  return out;
}

/** Two {mean, se, n} summaries of disjoint samples as one (se: sample sd (n - 1) / sqrt(n)). */
export function mergeSummary(x, y) {
  const n = x.n + y.n;
  const m2 = (s) => (s.n > 1 ? s.se * s.se * s.n * (s.n - 1) : 0);
  const d = y.mean - x.mean;
  const sum2 = m2(x) + m2(y) + (d * d * x.n * y.n) / n;
  return { mean: x.mean + (d * y.n) / n, se: n > 1 ? Math.sqrt(sum2 / (n - 1) / n) : NaN, n };
}

/** Two motifPair results over disjoint backgrounds as one. */
export function mergePair(x, y) {
  const out = { ...x };
  for (const key of ['none', 'with_a', 'with_b', 'with_ab', 'interaction']) out[key] = mergeSummary(x[key], y[key]);
  return out;
}

/** Two motifMatrix results over disjoint backgrounds as one. */
export function mergeMatrix(x, y) {
  return { ...x, pairs: x.pairs.map((row, i) => row.map((p, j) => mergePair(p, y.pairs[i][j]))) };
}
