// The worker's jobs of the ISM panel: saturation mutagenesis of one sequence, and its
// mutational robustness.

import { modelCall } from './model.js';
import { state } from './runtime.js';

/** JOB.ism: in-silico mutagenesis of {sequence, allPositions, method}. */
export function ism(job, ctx) {
  return modelCall(ctx, () => state.model.ism(job.sequence, Boolean(job.allPositions), job.method ?? undefined));
}

/** JOB.robustness: mutational robustness of {sequence, threshold, allPositions} from its fast ISM. */
export function robustness(job, ctx) {
  const threshold = Number(job.threshold ?? 0.1);
  return modelCall(ctx, () => state.model.robustness(String(job.sequence ?? ''), threshold, Boolean(job.allPositions)));
}
