// Camformer Web worker: owns the wasm modules and the model, and runs one job at a time.
// The page may run several (app/pool.js), each with its own instance and model; the first one
// compiles the CPU module and hands it to the page for the others (app/worker/model.js).
//
// The messages it takes and sends are described once, in app/protocol.js (the page side is
// app/client.js). This file is the dispatcher: the JOBS table maps each request type to its
// handler, and the job loop below queues, runs, cancels and answers. The handlers live in
// app/worker/, one module per capability, as the panels are split: model (init, load, info;
// backend choice, wasm modules, WebGPU-to-CPU fallback), predict, ism, variants, design,
// motifs, attributions, dream; app/worker/runtime.js holds their shared state and error rules.
//
// A module worker in www/ (app/assets.js starts it from a Blob URL that imports this file).
// The built element and the single-file app get it from scripts/bundle.mjs as ONE script with
// these imports inlined: the single file runs it as a classic Blob-URL worker (file:// allows
// neither module workers nor import()), after the CPU module's glue, which defines
// `self.camformerGlue`. So no module here may await at top level or ask for its own URL.

import { CANCEL, CANCELLED, JOB, STATUS } from './app/protocol.js';
import { attribute } from './app/worker/attributions.js';
import { design } from './app/worker/design.js';
import { dream, dreamPredicted } from './app/worker/dream.js';
import { ism, robustness } from './app/worker/ism.js';
import { info, init, load } from './app/worker/model.js';
import { motifAblate, motifInsert, motifList, motifMatrix, motifPair, motifTile, scan } from './app/worker/motifs.js';
import { parse, predict } from './app/worker/predict.js';
import { Cancelled, messageOf, state } from './app/worker/runtime.js';
import { variants } from './app/worker/variants.js';

/**
 * The handlers, by request type. Each takes the request and a context (loading, progress,
 * checkpoint, transfer) and returns the fields of the final reply (status defaults to done).
 * A new wasm function is a JOB entry in app/protocol.js and a handler here; the page calls it
 * with app.job(type, params) (a panel) or element.request(type, params).
 */
const JOBS = {
  [JOB.init]: init,
  [JOB.load]: load,
  [JOB.info]: info,
  [JOB.parse]: parse,
  [JOB.predict]: predict,
  [JOB.ism]: ism,
  [JOB.robustness]: robustness,
  [JOB.variants]: variants,
  [JOB.design]: design,
  [JOB.motifList]: motifList,
  [JOB.scan]: scan,
  [JOB.motifInsert]: motifInsert,
  [JOB.motifAblate]: motifAblate,
  [JOB.motifTile]: motifTile,
  [JOB.motifPair]: motifPair,
  [JOB.motifMatrix]: motifMatrix,
  [JOB.attribute]: attribute,
  [JOB.dream]: dream,
  [JOB.dreamPredicted]: dreamPredicted,
};
// The protocol and the table must not drift apart: a job type without a handler fails loudly.
for (const type of Object.values(JOB)) {
  if (typeof JOBS[type] !== 'function') throw new Error(`worker: no handler for job type '${type}'`);
}

// ---- the job loop: one job at a time, in arrival order ----

const queue = [];
let running = null;
const cancelled = new Set();

function cancel(target) {
  const i = queue.findIndex((job) => job.id === target);
  if (i >= 0) {
    queue.splice(i, 1);
    self.postMessage({ id: target, error: CANCELLED, cancelled: true });
  } else if (running?.id === target) {
    cancelled.add(target);
  }
}

/** Lets queued messages (cancellations) in before going on. */
function yieldToEvents() {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function contextFor(job) {
  const transferList = [];
  return {
    transferList,
    loading: (stage) => self.postMessage({ id: job.id, status: STATUS.loading, stage }),
    progress: (data) => self.postMessage({ id: job.id, status: STATUS.progress, ...data }),
    async checkpoint() {
      await yieldToEvents();
      if (cancelled.has(job.id)) throw new Cancelled();
    },
    /** Marks buffers of the result to move (not copy) to the page. */
    transfer: (...items) => transferList.push(...items),
  };
}

async function pump() {
  if (running) return;
  while (queue.length) {
    await yieldToEvents();
    const job = queue.shift();
    if (!job) break;
    running = job;
    const ctx = contextFor(job);
    try {
      if (state.broken) throw new Error(`the WebAssembly module stopped after an error (${state.broken}); reload the model`);
      const run = Object.hasOwn(JOBS, job.type) ? JOBS[job.type] : null;
      if (!run) throw new Error(`unknown job type '${job.type}'`);
      const reply = await run(job, ctx);
      // A cancelled job that finished anyway (a single wasm call cannot be interrupted) still
      // reports cancellation, so the page never shows a stale result; its result goes with it
      // as `partial`, as a job stopped part-way sends what it made.
      if (cancelled.has(job.id)) {
        const stop = new Cancelled();
        stop.partial = { result: reply.result, done: reply.done ?? null };
        throw stop;
      }
      self.postMessage({ id: job.id, status: STATUS.done, ...reply }, ctx.transferList);
    } catch (err) {
      const fatal = err instanceof WebAssembly.RuntimeError;
      if (fatal) state.broken = messageOf(err);
      const reply = { id: job.id, error: messageOf(err) };
      if (err instanceof Cancelled) {
        reply.cancelled = true;
        if (err.partial) reply.partial = err.partial;
      }
      if (fatal) reply.fatal = true;
      self.postMessage(reply);
    } finally {
      cancelled.delete(job.id);
      running = null;
    }
  }
}

self.onmessage = (event) => {
  const message = event.data ?? {};
  if (message.type === CANCEL) {
    cancel(message.target);
    return;
  }
  queue.push(message);
  pump();
};
