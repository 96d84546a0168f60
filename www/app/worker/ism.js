// The worker's jobs of the ISM panel: saturation mutagenesis of one sequence, and its
// mutational robustness.

import { modelCall } from './model.js';
import { state } from './runtime.js';

/**
 * JOB.ism: in-silico mutagenesis of {sequence, allPositions, method}; with {first, count} (0-based
 * construct positions) only that share of the positions (the pool splits one ISM this way).
 */
export function ism(job, ctx) {
  const share = Number.isInteger(job.first) && Number.isInteger(job.count);
  return modelCall(ctx, () => state.model.ism(job.sequence, Boolean(job.allPositions), job.method ?? undefined, share ? job.first : undefined, share ? job.count : undefined));
}

/** JOB.robustness: mutational robustness of {sequence, threshold, allPositions} from its fast ISM. */
export function robustness(job, ctx) {
  const threshold = Number(job.threshold ?? 0.1);
  return modelCall(ctx, () => state.model.robustness(String(job.sequence ?? ''), threshold, Boolean(job.allPositions)));
}
