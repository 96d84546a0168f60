// The worker's jobs of the motifs panel and the ISM panel's motif track: the motif list and
// FIMO-style scan (free functions; the shipped JASPAR set when `motifs` is null), the motif
// what-ifs on one sequence, and pair interactions over many backgrounds, run in chunks
// (progress, cancellation between chunks) whose summaries are merged exactly (the merge rules
// and the random backgrounds are in app/backgrounds.js, shared with the page's worker pool).

import { mergeMatrix, mergePair, randomRegions } from '../backgrounds.js';
import { UNIT } from '../protocol.js';
import { modelCall, withFallback } from './model.js';
import { Cancelled, requireModel, requireWasm, state } from './runtime.js';

/** JOB.motifList: the motifs of a MEME text: {motifs} -> [{index, id, altId, width, consensus}]. */
export async function motifList(job) {
  requireWasm();
  return { result: state.glue.motifList(job.motifs || null) };
}

/** JOB.scan: {sequence, motifs, pValue, background} -> [{motif, motifId, altId, start, end, strand, score, pValue, matched}]. */
export async function scan(job) {
  requireWasm();
  return { result: state.glue.scanMotifs(String(job.sequence ?? ''), job.motifs || null, job.pValue ?? null, job.background || null) };
}

/** JOB.motifInsert: {sequence, motif, site, strand, position (1-80), motifs} -> {reference, effects}. */
export function motifInsert(job, ctx) {
  return modelCall(ctx, () =>
    state.model.motifInsert(String(job.sequence ?? ''), String(job.motif ?? ''), job.site || null, job.strand ?? '+', Number(job.position), job.motifs || null),
  );
}

/** JOB.motifAblate: {sequence, position, length, replacement (else shuffled), seed} -> {reference, effects}. */
export function motifAblate(job, ctx) {
  return modelCall(ctx, () =>
    state.model.motifAblate(String(job.sequence ?? ''), Number(job.position), Number(job.length), job.replacement || null, BigInt(job.seed ?? 0)),
  );
}

/** JOB.motifTile: a motif tiled across the random region on both strands: {sequence, motif, site, motifs} -> {site, reference, points}. */
export function motifTile(job, ctx) {
  return modelCall(ctx, () => state.model.motifTile(String(job.sequence ?? ''), String(job.motif ?? ''), job.site || null, job.motifs || null));
}

/**
 * JOB.motifPair: {a, b, backgrounds (sequences) | null, n, seed, motifs} -> {a, b, none, with_a,
 * with_b, with_ab, interaction}, each {mean, se, n}. Without backgrounds, n random 80-bp regions
 * drawn as the wasm draws them (SplitMix64 from seed).
 */
export async function motifPair(job, ctx) {
  requireModel();
  const a = String(job.a ?? '');
  const b = String(job.b ?? '');
  const run = (part) => state.model.motifPair(a, b, part, part.length, 0n, job.motifs || null);
  return overBackgrounds(job, ctx, 4, run, mergePair);
}

/** JOB.motifMatrix: the pair interaction of every ordered pair of {motifIds}: {sites, pairs: [[pair]]}; as motifPair. */
export async function motifMatrix(job, ctx) {
  requireModel();
  const ids = (job.motifIds ?? []).map(String);
  const k = ids.length;
  const run = (part) => state.model.motifMatrix(ids, part, part.length, 0n, job.motifs || null);
  return overBackgrounds(job, ctx, 1 + 2 * k + k * k, run, mergeMatrix);
}

/**
 * Runs `run(backgrounds)` over chunks of the job's backgrounds (given, or `n` random ones from
 * `seed`, starting at region `first` of its stream), sized to ~0.3 s (`perBackground`
 * predictions each), merging the results. `first` is how the page's worker pool hands each
 * worker its share of one job's random backgrounds (app/pool.js). A cancelled run reports what
 * it merged so far (`partial`), which the pool keeps.
 */
async function overBackgrounds(job, ctx, perBackground, run, merge) {
  const given = (job.backgrounds ?? []).map(String);
  const n = Number(job.n ?? 0);
  if (!given.length && !(Number.isInteger(n) && n > 0)) throw new Error('give backgrounds or a number of random ones (> 0)');
  const first = Number(job.first ?? 0);
  const backgrounds = given.length ? given : randomRegions(n, job.seed ?? 0, first);
  const total = backgrounds.length;
  const t0 = performance.now();
  let chunk = Math.max(2, Math.ceil(64 / perBackground));
  let result = null;
  let done = 0;
  try {
    while (done < total) {
      await ctx.checkpoint();
      // No chunk of one background at the end: its standard error is undefined.
      const size = total - done - chunk === 1 ? chunk + 1 : chunk;
      const part = backgrounds.slice(done, done + size);
      const tc = performance.now();
      const r = await withFallback(() => run(part), first + done);
      result = result ? merge(result, r) : r;
      done += part.length;
      chunk = Math.max(2, Math.min(2048, Math.round((part.length * 300) / Math.max(performance.now() - tc, 1))));
      ctx.progress({ done, total, unit: UNIT.backgrounds, elapsedMs: performance.now() - t0 });
    }
  } catch (err) {
    if (err instanceof Cancelled) err.partial = { result, done };
    throw err;
  }
  return { result, done, backgrounds: given.length ? 'given' : 'random', elapsedMs: performance.now() - t0, backend: state.backend };
}
