// The worker's jobs of the input and results panels: parse text as the CLI does, and predict
// many sequences in chunks (progress, cancellation between chunks).

import { withFallback } from './model.js';
import { Cancelled, requireModel, requireWasm, state } from './runtime.js';

/** JOB.parse: FASTA / one-per-line / TSV text with the CLI's rules: {text} -> {records, rejected}. */
export async function parse(job) {
  requireWasm();
  return { result: state.glue.parseRecords(job.text) };
}

/**
 * The chunk size the last batch ended with: the page's worker pool sends one long batch as
 * several jobs, and each need not start again from small chunks.
 */
let tunedChunk = 8;

/**
 * JOB.predict: {sequences, offset?, chunkSize?} in chunks, reporting progress and stopping when
 * cancelled. `offset`: where these sequences start in the caller's list (the pool's share of a
 * batch), so an error names the sequence as the caller numbers it. A cancelled job reports the
 * predictions it made (`partial: {result, done}`), which the pool keeps.
 */
export async function predict(job, ctx) {
  requireModel();
  const sequences = job.sequences;
  const total = sequences.length;
  const offset = Number(job.offset ?? 0);
  const out = new Float32Array(total);
  const t0 = performance.now();
  // Chunks are sized to take ~0.3 s, so progress is smooth and cancellation prompt, while
  // batches stay large enough for efficient matrix products.
  let chunk = job.chunkSize ?? tunedChunk;
  let done = 0;
  try {
    while (done < total) {
      await ctx.checkpoint();
      const part = sequences.slice(done, done + chunk);
      const tc = performance.now();
      const values = await withFallback(() => state.model.predict(part), offset + done);
      out.set(values, done);
      done += part.length;
      const ms = performance.now() - tc;
      if (!job.chunkSize && part.length === chunk) {
        chunk = Math.max(8, Math.min(1024, Math.round((chunk * 300) / Math.max(ms, 1))));
        tunedChunk = chunk;
      }
      ctx.progress({ done, total, elapsedMs: performance.now() - t0 });
    }
  } catch (err) {
    if (err instanceof Cancelled) err.partial = { result: out.slice(0, done), done };
    throw err;
  }
  ctx.transfer(out.buffer);
  return { result: out, done, elapsedMs: performance.now() - t0, backend: state.backend };
}
