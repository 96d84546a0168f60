// The worker's shared state and error rules, used by every job module (app/worker/*.js) and by
// the job loop in www/worker.js. Runs inside the worker only.

import { CANCELLED } from '../protocol.js';

export const state = {
  /** Where the two wasm modules are: {cpu: {glueUrl, wasm}, gpu: {glueUrl, wasm} | null}. */
  modules: null,
  /** Why there is no WebGPU module (the single-file build), or null. */
  gpuMissing: null,
  /** Promises of the instantiated glue modules, by MODULE (cpu | gpu), loaded on first use. */
  glues: { cpu: null, gpu: null },
  /**
   * The compiled wasm modules (WebAssembly.Module), by MODULE: the init reply hands the CPU one
   * to the page, whose worker pool gives it to the other workers, so it is compiled once.
   */
  compiled: { cpu: null, gpu: null },
  /** Each module instance's exports (its `memory` is what the model costs this worker). */
  exports: { cpu: null, gpu: null },
  /** The glue of the loaded model's module (exports parseRecords, CamformerModel, ...). */
  glue: null,
  /** Which MODULE the model runs in. */
  module: null,
  /** The CPU module's build asked for (SIMD.*, init's `simd`). */
  simdRequest: 'auto',
  /** The CPU module's build in use: SIMD.relaxed | SIMD.simd128 (null before it loads). */
  simd: null,
  /** Why the CPU module is not the build asked for, or null. */
  simdNote: null,
  /** Milliseconds the last module download + compile took. */
  wasmMs: 0,
  /** The loaded CamformerModel. */
  model: null,
  /** Where the model came from, to reload it on the CPU if WebGPU fails. */
  source: null,
  /** BACKEND.webgpu | BACKEND.cpu */
  backend: null,
  /** Why the backend is not the one asked for, or null. */
  fallback: null,
  /** The WebGPU adapter's description, when one was found. */
  adapter: null,
  /** Why the automatic choice is the CPU (informational), or null. */
  note: null,
  /**
   * The timed 'auto' choice, {key (the adapter), backend, webgpuPerS, cpuPerS, workers, date}:
   * measured at this init, or the page's remembered one; null when nothing was timed.
   */
  autoChoice: null,
  /** Set after a wasm trap: the instance may be corrupt, so every later job fails fast. */
  broken: null,
};

/** Thrown at a checkpoint of a cancelled job. */
export class Cancelled extends Error {
  constructor() {
    super(CANCELLED);
  }
}

export function messageOf(err) {
  return err instanceof Error ? err.message : String(err);
}

export function requireWasm() {
  if (!state.glue) throw new Error('the WebAssembly module is not loaded yet');
}

export function requireModel() {
  requireWasm();
  if (!state.model) throw new Error('no model is loaded');
}

/**
 * Errors about the input (a record, a sequence, a variant line, design settings) are not the
 * backend's fault; the wasm API's messages start with what they are about.
 */
const INPUT_ERROR =
  /^(sequence|record|weights|manifest|architecture|model|reference sequence|variants line|frozen position|the robustness threshold|the beam width|design needs|unknown design goal|no design search|no motif|motif|site|sites overlap|a \d+-bp site|a pair|give backgrounds|replacement|the replacement|the shuffled stretch|unknown strand|invalid base|grad-cam layer|unknown attribution method)\b/i;

/** Whether an error may be the WebGPU backend's fault (so the CPU is worth a try). */
export function isBackendFailure(err) {
  return !(err instanceof Cancelled) && !INPUT_ERROR.test(messageOf(err));
}

/** The wasm numbers sequences within the list it got; make that the position in the job. */
export function renumber(err, offset) {
  if (!offset) return err;
  const message = messageOf(err).replace(/^sequence (\d+):/, (_, n) => `sequence ${Number(n) + offset}:`);
  return new Error(message);
}
