// The worker's job of the design panel: a greedy / beam search, one wasm designStep per round,
// so progress is reported and a cancel takes effect between steps.

import { UNIT } from '../protocol.js';
import { withFallback } from './model.js';
import { requireModel, state } from './runtime.js';

/**
 * JOB.design: {sequence, goal: 'maximize'|'minimize', maxEdits, beamWidth, frozen: 1-based
 * random-region positions}. Progress after each step ({done: steps, total: maxEdits, unit:
 * 'steps', design: the state so far}).
 */
export async function design(job, ctx) {
  requireModel();
  const t0 = performance.now();
  const frozen = Uint32Array.from(job.frozen ?? [], Number);
  const run = async () => {
    let design = await state.model.designStart(
      String(job.sequence ?? ''),
      String(job.goal ?? 'maximize'),
      Number(job.maxEdits ?? 10),
      Number(job.beamWidth ?? 1),
      frozen,
    );
    const report = () =>
      ctx.progress({ done: design.steps, total: design.maxEdits, unit: UNIT.steps, elapsedMs: performance.now() - t0, design });
    report();
    while (!design.finished) {
      await ctx.checkpoint();
      design = await state.model.designStep();
      report();
    }
    return design;
  };
  const result = await withFallback(run);
  return { result, elapsedMs: performance.now() - t0, backend: state.backend };
}
