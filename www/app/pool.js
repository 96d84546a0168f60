// The worker pool: several Camformer workers (www/worker.js), each with its own wasm instance
// and model, so that long jobs use every core. Wasm threads would need SharedArrayBuffer and
// cross-origin isolation (COOP/COEP headers), which a wiki page or a file:// page cannot have;
// separate workers need neither, and run under the page's Content-Security-Policy as one did.
//
// The pool speaks the page side of the worker protocol (app/protocol.js) as WorkerClient does
// (request / cancel / terminate, `backend` events), so the app talks to it as to one worker:
//
//   init        runs on the first worker (backend choice, module download and compilation,
//               model); on the CPU the pool then starts the other workers with the compiled
//               WebAssembly.Module the first one returned (a Module crosses postMessage without
//               being copied or compiled again) and the same model. WebGPU keeps one worker:
//               the GPU is one device, shared.
//   load        a new model goes to every worker (first the first one; a worker that then
//               fails to load it leaves the pool, so all workers always hold the same model).
//   predict     split into contiguous tasks in input order, handed to whichever worker is free;
//               the result is in input order. An error reports the first failing sequence, as
//               one worker would.
//   ism, robustness, attribute with `sequences` (a list instead of `sequence`): one task per
//               sequence; the result is the list of results in order.
//   motifPair, motifMatrix over n backgrounds: tasks of backgrounds (random ones are drawn by
//               each worker from its place in the seed's stream), merged in task order.
//   ism of one sequence: its positions split into one contiguous share per worker (wasm `ism`
//               with first/count); the matrices are joined column-wise in position order. This
//               is the live-ISM latency, so it is split only when more than one worker is idle.
//   anything else (design, tiling, DREAM, ...) is one wasm call or a chain of them on one
//               model: it runs whole on the least busy worker.
//
// Progress of a split job is the sum over its tasks; cancel stops every task, and the job
// rejects with a CancelledError whose `partial` holds what was computed (finished tasks and the
// finished part of stopped ones).

import { mergeMatrix, mergePair } from './backgrounds.js';
import { CancelledError, WorkerClient } from './client.js';
import { REGION_LENGTH, REGION_START } from './dom.js';
import { CONSTRUCT_LENGTH } from './positions.js';
import { BACKEND, JOB, STATUS, UNIT } from './protocol.js';

/** The most workers a page starts by default: beyond this, memory grows faster than speed. */
export const DEFAULT_MAX_WORKERS = 4;
/** The most workers the `workers` attribute may ask for. */
export const MAX_WORKERS = 16;

/**
 * The default pool size: one worker per core, at most DEFAULT_MAX_WORKERS.
 * @returns {number}
 */
export function defaultWorkers() {
  const cores = Number(globalThis.navigator?.hardwareConcurrency) || 1;
  return Math.max(1, Math.min(cores, DEFAULT_MAX_WORKERS));
}

/**
 * @typedef {object} Member one worker of the pool
 * @property {WorkerClient} client
 * @property {number} outstanding requests sent and not yet answered
 * @property {number|null} memoryBytes its wasm memory after the last model load
 */

export class WorkerPool extends EventTarget {
  /** @type {() => Promise<Worker>} */
  #createWorker;
  #wanted;
  /** @type {Member[]} */
  #members = [];
  #nextId = 1;
  /** Pool ids of jobs that run whole on one worker -> {member, id there}. */
  #singles = new Map();
  /** Split jobs in the order they were asked for; their tasks are handed out in that order. */
  #splits = [];
  /** Pool ids of split jobs -> the job. */
  #splitIds = new Map();

  /**
   * @param {{createWorker: () => Promise<Worker>, workers: number}} options `workers`: how many
   *   to run on the CPU (WebGPU runs one)
   */
  constructor({ createWorker, workers }) {
    super();
    this.#createWorker = createWorker;
    this.#wanted = Math.max(1, Math.min(MAX_WORKERS, Math.floor(workers) || 1));
  }

  /** @returns {number} the workers in the pool */
  get size() {
    return this.#members.length;
  }

  /** Starts the first worker (the one `init` runs on). */
  async start() {
    if (!this.#members.length) this.#members.push(await this.#spawn());
  }

  /**
   * Sends a job (a JOB type of protocol.js) to the pool.
   * @param {string} type
   * @param {object} [params]
   * @param {{onProgress?: Function, onLoading?: Function, transfer?: Transferable[]}} [options]
   * @returns {{id: number, promise: Promise<object>}} as WorkerClient.request
   */
  request(type, params = {}, options = {}) {
    if (!this.#members.length) {
      return { id: this.#nextId++, promise: Promise.reject(new Error('the worker pool has not started')) };
    }
    if (type === JOB.init) return this.#orchestrate(() => this.#init(params, options));
    if (type === JOB.load) return this.#orchestrate(() => this.#load(params, options));
    const idle = this.#members.filter((m) => m.outstanding === 0).length;
    const plan = planFor(type, params, this.#members.length, idle);
    if (plan) return this.#split(type, plan, options);
    return this.#single(type, params, options, this.#leastBusy());
  }

  /**
   * Cancels a job: dropped where still queued, stopped at the next checkpoint where running.
   * @param {number} id
   */
  cancel(id) {
    const single = this.#singles.get(id);
    if (single) {
      single.member.client.cancel(single.id);
      return;
    }
    const job = this.#splitIds.get(id);
    if (job && !job.settled) {
      job.cancelled = true;
      for (const task of job.tasks) this.#stop(task);
      this.#settle(job);
    }
  }

  /** Stops every worker; pending jobs fail with a CancelledError. */
  terminate() {
    for (const job of this.#splits) {
      job.cancelled = true;
      for (const task of job.tasks) if (task.state === 'queued') task.state = 'dropped';
    }
    for (const member of this.#members.splice(0)) member.client.terminate();
  }

  // ---- starting workers, loading models ----

  async #spawn() {
    const client = new WorkerClient(await this.#createWorker());
    // Only a WebGPU worker changes backend on its own, and WebGPU runs one worker.
    client.addEventListener('backend', (e) => this.dispatchEvent(new CustomEvent('backend', { detail: e.detail })));
    return { client, outstanding: 0, memoryBytes: null };
  }

  /** A job run by the pool itself over several workers (init, load), with an id like any other. */
  #orchestrate(run) {
    return { id: this.#nextId++, promise: run() };
  }

  async #init(params, options) {
    // A new init (the app's fallback to the built-in model) starts the helpers again.
    for (const member of this.#members.splice(1)) member.client.terminate();
    const first = this.#members[0];
    // The pool size goes along: 'auto' times WebGPU against that many CPU workers.
    const reply = await this.#single(JOB.init, { ...params, poolSize: this.#wanted }, options, first).promise;
    first.memoryBytes = reply.memoryBytes ?? null;
    const wanted = reply.backend === BACKEND.webgpu ? 1 : this.#wanted;
    let note = null;
    if (wanted > 1) {
      options.onLoading?.({ status: STATUS.loading, stage: `starting ${wanted - 1} more ${wanted - 1 === 1 ? 'worker' : 'workers'}` });
      const cpu = params.modules?.cpu ?? {};
      const helper = {
        backend: BACKEND.cpu,
        // The compiled module when the first worker handed it over; else they compile it too.
        // (of the same build: relaxed SIMD or simd128, so every worker computes alike).
        modules: { cpu: reply.wasmModule ? { ...cpu, wasm: { module: reply.wasmModule }, relaxed: null, simd: reply.wasmSimd } : cpu, gpu: null },
        gpuMissing: params.gpuMissing ?? null,
        simd: params.simd,
        model: reply.resolvedModel ?? params.model,
      };
      const started = await Promise.allSettled(Array.from({ length: wanted - 1 }, () => this.#startHelper(helper)));
      const failed = started.filter((r) => r.status === 'rejected');
      if (failed.length) note = `${this.size} of ${wanted} workers started (${failed[0].reason?.message ?? failed[0].reason})`;
    }
    return this.#withPoolInfo(reply, note);
  }

  async #startHelper(params) {
    const member = await this.#spawn();
    try {
      const reply = await member.client.request(JOB.init, params).promise;
      member.memoryBytes = reply.memoryBytes ?? null;
    } catch (err) {
      member.client.terminate();
      throw err;
    }
    this.#members.push(member);
    this.#pump();
  }

  async #load(params, options) {
    // Tasks of a split job that started on the old model must not finish on the new one.
    for (const job of [...this.#splits]) this.#fail(job, new Error('the model was replaced while this job ran; run it again'), -1);
    const [first, ...others] = this.#members;
    const reply = await this.#single(JOB.load, params, options, first).promise;
    first.memoryBytes = reply.memoryBytes ?? null;
    const model = reply.resolvedModel ?? params.model;
    const loaded = await Promise.allSettled(others.map((m) => this.#single(JOB.load, { model }, {}, m).promise));
    let note = null;
    loaded.forEach((r, i) => {
      if (r.status === 'fulfilled') {
        others[i].memoryBytes = r.value.memoryBytes ?? null;
        return;
      }
      // A worker without the new model would answer with the old one: it leaves the pool.
      note ??= `a worker did not load the model and was stopped (${r.reason?.message ?? r.reason})`;
      this.#members.splice(this.#members.indexOf(others[i]), 1);
      others[i].client.terminate();
    });
    return this.#withPoolInfo(reply, note);
  }

  #withPoolInfo(reply, note) {
    const { wasmModule, resolvedModel, ...info } = reply;
    return { ...info, workers: this.size, memoryBytes: this.#members.map((m) => m.memoryBytes), poolNote: note };
  }

  // ---- jobs on one worker ----

  #leastBusy() {
    let best = this.#members[0];
    for (const m of this.#members) if (m.outstanding < best.outstanding) best = m;
    return best;
  }

  #single(type, params, options, member) {
    const id = this.#nextId++;
    member.outstanding++;
    const sent = member.client.request(type, params, options);
    this.#singles.set(id, { member, id: sent.id });
    const done = () => {
      member.outstanding--;
      this.#singles.delete(id);
      this.#pump();
    };
    const promise = sent.promise.then(
      (reply) => {
        done();
        return reply;
      },
      (err) => {
        done();
        throw err;
      },
    );
    return { id, promise };
  }

  // ---- split jobs ----

  #split(type, plan, options) {
    const id = this.#nextId++;
    let resolve;
    let reject;
    const promise = new Promise((a, b) => {
      resolve = a;
      reject = b;
    });
    const job = {
      id,
      type,
      plan,
      options,
      t0: performance.now(),
      tasks: plan.tasks.map((t, index) => ({ ...t, index, state: 'queued', done: 0, member: null, workerId: null })),
      error: null,
      errorAt: Infinity,
      cancelled: false,
      settled: false,
      backend: null,
      used: new Set(),
      resolve,
      reject,
    };
    this.#splits.push(job);
    this.#splitIds.set(id, job);
    this.#pump();
    this.#settle(job); // a job without tasks (an empty list) is done at once
    return { id, promise };
  }

  /** Hands queued tasks to idle workers: the oldest job's first queued task first. */
  #pump() {
    for (const member of this.#members) {
      if (member.outstanding > 0) continue;
      const job = this.#splits.find((j) => !j.cancelled && !j.error && j.tasks.some((t) => t.state === 'queued'));
      if (!job) return;
      this.#dispatch(member, job, job.tasks.find((t) => t.state === 'queued'));
    }
  }

  #dispatch(member, job, task) {
    member.outstanding++;
    task.state = 'running';
    task.member = member;
    job.used.add(member);
    const sent = member.client.request(job.type, task.params, {
      onLoading: job.options.onLoading,
      onProgress: (m) => {
        task.done = Math.min(m.done, task.size);
        this.#progress(job);
      },
    });
    task.workerId = sent.id;
    sent.promise
      .then(
        (reply) => {
          task.state = 'done';
          task.done = task.size;
          job.backend = reply.backend ?? job.backend;
          job.plan.onResult(task, reply);
        },
        (err) => {
          if (err instanceof CancelledError) {
            task.state = 'cancelled';
            task.done = err.partial ? job.plan.onPartial(task, err.partial) : 0;
            // Stopped without the job being cancelled (its worker was stopped): so is the job.
            if (!job.error && !job.cancelled) this.cancel(job.id);
          } else {
            task.state = 'failed';
            task.done = 0;
            this.#fail(job, job.plan.describeError?.(task, err) ?? err, task.index);
          }
        },
      )
      .finally(() => {
        member.outstanding--;
        this.#progress(job);
        this.#settle(job);
        this.#pump();
      });
  }

  /** Stops a task: a queued one is dropped, a running one cancelled at its next checkpoint. */
  #stop(task) {
    if (task.state === 'queued') task.state = 'dropped';
    else if (task.state === 'running') task.member.client.cancel(task.workerId);
  }

  /**
   * A task failed: the job fails with the error of its first failing task, as one worker going
   * through the tasks in order would. Later tasks stop; earlier ones finish, in case one of
   * them fails too.
   */
  #fail(job, err, index) {
    if (job.settled) return;
    if (index < job.errorAt) {
      job.error = err;
      job.errorAt = index;
    }
    for (const task of job.tasks) if (task.index > index) this.#stop(task);
    this.#settle(job);
  }

  #progress(job) {
    if (job.settled || job.cancelled || job.error) return;
    const done = job.tasks.reduce((sum, t) => sum + t.done, 0);
    job.options.onProgress?.({ status: STATUS.progress, done, total: job.plan.total, unit: job.plan.unit, elapsedMs: performance.now() - job.t0 });
  }

  #settle(job) {
    if (job.settled || job.tasks.some((t) => t.state === 'running')) return;
    if (!job.error && !job.cancelled && job.tasks.some((t) => t.state === 'queued')) return;
    job.settled = true;
    this.#splits.splice(this.#splits.indexOf(job), 1);
    this.#splitIds.delete(job.id);
    const elapsedMs = performance.now() - job.t0;
    if (job.error) job.reject(job.error);
    else if (job.cancelled) job.reject(new CancelledError({ ...job.plan.partial(), elapsedMs }));
    else job.resolve({ status: STATUS.done, ...job.plan.finish(), elapsedMs, backend: job.backend, workers: job.used.size });
  }
}

// ---- how jobs are split ----

/**
 * The tasks of a job that the pool splits, or null for a job that runs whole on one worker.
 * A plan: {total, unit, tasks: [{size, params}], onResult(task, reply), onPartial(task,
 * partial) -> how much of the task is done, finish() -> final reply fields, partial() -> what a
 * cancelled job reports, describeError?(task, err)}.
 */
function planFor(type, params, workers, idle = workers) {
  if (type === JOB.predict && Array.isArray(params.sequences)) return predictPlan(params, workers);
  if ((type === JOB.ism || type === JOB.robustness || type === JOB.attribute) && Array.isArray(params.sequences)) return listPlan(params);
  if (type === JOB.ism && typeof params.sequence === 'string' && idle > 1 && params.first === undefined) return ismPlan(params, idle);
  if (type === JOB.motifPair || type === JOB.motifMatrix) return backgroundsPlan(type, params, workers);
  return null;
}

/**
 * Sequences per prediction task: about eight tasks per worker, so a worker that is slowed (a
 * busy machine) does not hold up the end by much, and cancellation keeps most of the work; but
 * not tiny tasks, which would make small batches (and matrix products) less efficient.
 */
function predictTaskSize(total, workers) {
  return Math.min(4096, Math.max(Math.ceil(total / (workers * 8)), Math.min(128, Math.ceil(total / workers)), 1));
}

function predictPlan(params, workers) {
  const sequences = params.sequences;
  const total = sequences.length;
  const size = predictTaskSize(total, workers);
  const out = new Float32Array(total);
  const computed = new Uint8Array(total);
  const tasks = [];
  for (let start = 0; start < total; start += size) {
    const part = sequences.slice(start, start + size);
    tasks.push({ start, size: part.length, params: { sequences: part, offset: start, chunkSize: params.chunkSize } });
  }
  return {
    total,
    unit: UNIT.sequences,
    tasks,
    onResult(task, reply) {
      out.set(reply.result, task.start);
      computed.fill(1, task.start, task.start + task.size);
    },
    onPartial(task, partial) {
      const values = partial.result ?? [];
      out.set(values, task.start);
      computed.fill(1, task.start, task.start + values.length);
      return values.length;
    },
    finish: () => ({ result: out }),
    // `computed` marks the sequences with a prediction (the others hold 0).
    partial: () => ({ result: out, computed, done: computed.reduce((a, b) => a + b, 0), total }),
  };
}

function listPlan(params) {
  const { sequences, ...rest } = params;
  const results = sequences.map(() => null);
  return {
    total: sequences.length,
    unit: UNIT.sequences,
    tasks: sequences.map((sequence) => ({ size: 1, params: { ...rest, sequence: String(sequence) } })),
    onResult(task, reply) {
      results[task.index] = reply.result;
    },
    onPartial(task, partial) {
      if (partial.result === undefined || partial.result === null) return 0;
      results[task.index] = partial.result;
      return 1;
    },
    finish: () => ({ result: results }),
    // Unfinished sequences are null.
    partial: () => ({ result: results, done: results.filter((r) => r !== null).length, total: sequences.length }),
    describeError: (task, err) => Object.assign(new Error(`sequence ${task.index + 1} of ${sequences.length}: ${err.message}`), { fatal: err.fatal }),
  };
}

/** Positions (0-based construct, [start, end)) an ISM mutates: the random region, or all 110. */
function ismPositions(params) {
  return params.allPositions ? [0, CONSTRUCT_LENGTH] : [REGION_START, REGION_START + REGION_LENGTH];
}

/**
 * One sequence's ISM in `workers` contiguous shares of its positions. Each worker computes the
 * reference's activations again (cheap next to the mutants); the matrices ([4 x width],
 * row-major) are joined column-wise. A cancelled ISM has no partial result.
 */
function ismPlan(params, workers) {
  const [lo, hi] = ismPositions(params);
  const shares = Math.min(workers, Math.floor((hi - lo) / 10));
  const tasks = [];
  for (let k = 0; k < shares; k++) {
    const first = lo + Math.floor(((hi - lo) * k) / shares);
    const end = lo + Math.floor(((hi - lo) * (k + 1)) / shares);
    tasks.push({ size: end - first, params: { ...params, first, count: end - first } });
  }
  const results = tasks.map(() => null);
  return {
    total: hi - lo,
    unit: UNIT.positions,
    tasks,
    onResult(task, reply) {
      results[task.index] = reply.result;
    },
    onPartial: () => 0,
    finish() {
      const width = hi - lo;
      const matrix = new Array(4 * width);
      for (const r of results) {
        for (let row = 0; row < 4; row++) {
          for (let j = 0; j < r.width; j++) matrix[row * width + (r.start - lo) + j] = r.matrix[row * r.width + j];
        }
      }
      const first = results[0];
      return { result: { construct: first.construct, reference: first.reference, start: lo, width, matrix } };
    },
    partial: () => ({ result: null, done: 0, total: hi - lo }),
  };
}

function backgroundsPlan(type, params, workers) {
  const given = Array.isArray(params.backgrounds) && params.backgrounds.length ? params.backgrounds.map(String) : null;
  const n = Number(params.n ?? 0);
  // Invalid counts are left to the worker, which says what is wrong.
  if (!given && !(Number.isInteger(n) && n > 0)) return null;
  const total = given ? given.length : n;
  if (total < 4) return null;
  // About four tasks per worker; never a task of one background (its standard error is undefined).
  const size = Math.max(2, Math.ceil(total / (workers * 4)));
  const tasks = [];
  for (let start = 0; start < total; ) {
    let count = Math.min(size, total - start);
    if (total - start - count === 1) count += 1;
    const share = given
      ? { backgrounds: given.slice(start, start + count), n: count, seed: 0, first: start }
      : { backgrounds: null, n: count, seed: params.seed ?? 0, first: start };
    tasks.push({ size: count, params: { ...params, ...share } });
    start += count;
  }
  const merge = type === JOB.motifPair ? mergePair : mergeMatrix;
  const results = tasks.map(() => null);
  // Merged in task order, whichever worker finished first, so the numbers do not depend on timing.
  const merged = () => results.reduce((acc, r) => (r === null ? acc : acc === null ? r : merge(acc, r)), null);
  return {
    total,
    unit: UNIT.backgrounds,
    tasks,
    onResult(task, reply) {
      results[task.index] = reply.result;
    },
    onPartial(task, partial) {
      if (!partial.result) return 0;
      results[task.index] = partial.result;
      return partial.done ?? task.size;
    },
    finish: () => ({ result: merged(), backgrounds: given ? 'given' : 'random' }),
    // The summaries over the backgrounds done (null if none was).
    partial: () => ({ result: merged(), done: results.reduce((s, r, i) => s + (r === null ? 0 : r.none?.n ?? r.pairs?.[0]?.[0]?.none?.n ?? tasks[i].size), 0), total }),
  };
}
