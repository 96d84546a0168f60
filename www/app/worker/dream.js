// The worker's job of the DREAM score panel: the files (tens of MB) are read here, off the
// page's main thread.

import { requireWasm, state } from './runtime.js';

/**
 * JOB.dream: the official DREAM score: {predictions, measured: File | string, pairs: {subset:
 * File | string}, pairRule}. Loading stages name the file being read.
 */
export async function dream(job, ctx) {
  requireWasm();
  const t0 = performance.now();
  const read = async (what, f) => {
    if (typeof f === 'string' || f === null || f === undefined) return f ?? '';
    ctx.loading(`reading ${what} (${f.name}, ${(f.size / 1e6).toFixed(1)} MB)`);
    return f.text();
  };
  const predictions = await read('the predictions', job.predictions);
  const measured = await read('the measured values', job.measured);
  let pairs = null;
  for (const [subset, f] of Object.entries(job.pairs ?? {})) {
    if (!f) continue;
    pairs ??= {};
    pairs[subset] = await read(`the ${subset} pairs`, f);
  }
  await ctx.checkpoint();
  ctx.loading('scoring');
  const result = state.glue.dreamScore(predictions, measured, pairs, job.pairRule || null);
  return { result, elapsedMs: performance.now() - t0 };
}

/**
 * JOB.dreamPredicted: {indices, predictions}: predictions the app made, named by DREAM test
 * index, scored on the public-leaderboard rows among them (wasm `dreamScorePredicted`).
 */
export function dreamPredicted(job) {
  requireWasm();
  const t0 = performance.now();
  const result = state.glue.dreamScorePredicted(Uint32Array.from(job.indices ?? []), Float64Array.from(job.predictions ?? []));
  return { result, elapsedMs: performance.now() - t0 };
}
