// The worker's job of the variants panel.

import { modelCall } from './model.js';
import { state } from './runtime.js';

/**
 * JOB.variants: {reference, text} (one variant set per line: `pos ref alt` triples, or two
 * sequences) -> [{line, label, reference, alternative, delta}]; a bad line is an error naming it.
 */
export function variants(job, ctx) {
  return modelCall(ctx, () => state.model.variants(String(job.reference ?? ''), String(job.text ?? '')));
}
