// The worker's job of the attributions panel.

import { modelCall } from './model.js';
import { state } from './runtime.js';

/** JOB.attribute: {sequence, method: 'gradcam'|'grad-x-input', layer} (CamformerModel.attribute, plus `construct`). */
export async function attribute(job, ctx) {
  const layer = job.layer === null || job.layer === undefined || job.layer === '' ? null : Number(job.layer);
  const sequence = String(job.sequence ?? '');
  const reply = await modelCall(ctx, () => state.model.attribute(sequence, String(job.method ?? 'gradcam'), layer));
  // The 110-bp construct the values are for (its reference bases), as parseRecords makes it.
  reply.result.construct = state.glue.parseRecords(sequence.trim()).records[0]?.construct ?? null;
  return reply;
}
