// The app's controller, shared by the panels: the worker pool (pool.js), the model, the job runner and the
// state every panel reads. Panels talk to each other only through its events:
//   model    the model (re)loaded or the backend changed   detail: model info from the worker
//   job      a job started, progressed or ended           detail: {id, type, label, phase, done, total, cancellable}
//   parsed   input was parsed                             detail: {records, rejected}
//   results  predictions are ready                        detail: state.results, or null when
//            the last input had no sequence to predict (the panels drop what they showed);
//            a cancelled batch gives the predictions made, with `cancelled: {done, total}`
//   stale    the last Predict failed: what is shown is from an earlier input   detail: {message}
//   select   a sequence was chosen                        detail: {name, sequence, target?}
//            (from the predictions table: every panel that takes a sequence picks it up; with
//            `target` only that panel does, e.g. 'ism' for "send to ISM" from the design panel)
//   status   a line for the status bar                    detail: {text, kind}
//   motifs   the motif set was listed or changed          detail: the MotifSet (motif-set.js)
//   hit      a motif hit was clicked in the ISM track      detail: {name, sequence, hit} (construct positions)

import { assets } from './assets.js';
import { CancelledError } from './client.js';
import { WorkerPool, defaultWorkers } from './pool.js';
import { BACKEND, JOB, SIMD, SOURCE, UNIT } from './protocol.js';
import * as store from './store.js';

/** @typedef {import('./protocol.js').ModelInfo} ModelInfo model info reported by the worker */

export class App extends EventTarget {
  /** @param {HTMLElement} host the <camformer-predictor> element (public events go there) */
  constructor(host) {
    super();
    this.host = host;
    this.client = null;
    /** @type {{model: ModelInfo|null, parsed: object|null, results: object|null, loadMs: number|null}} */
    this.state = { model: null, parsed: null, results: null, loadMs: null };
    this.source = { kind: SOURCE.default };
    this.backendRequest = BACKEND.auto;
    /** Workers to run on the CPU (the `workers` attribute, else one per core, at most 4). */
    this.workersRequest = defaultWorkers();
    this.jobs = new Map();
    this.generation = 0;
  }

  /**
   * Starts (or restarts) the workers and loads the model.
   * @param {{backend?: string, model?: string|null, workers?: number|null, simd?: string|null}} options
   *   the element's attributes (`workers`: null for the default; `simd`: SIMD.*, null for auto)
   * @returns {Promise<ModelInfo>}
   */
  async start({ backend = BACKEND.auto, model = null, workers = null, autoProbe = null, simd = null } = {}) {
    const t0 = performance.now();
    this.status('', 'note'); // a new start clears the last one's warnings
    this.backendRequest = backend;
    this.simdRequest = simd ?? SIMD.auto;
    this.autoProbe = autoProbe;
    this.workersRequest = workers ?? defaultWorkers();
    const generation = ++this.generation;
    this.client?.terminate();
    this.client = null;
    const client = await this.#newClient();
    if (generation !== this.generation) {
      client.terminate(); // a newer start() (an attribute changed again) took over
      throw new CancelledError();
    }
    this.client = client;
    // The model: the attribute's URL, else the one the user chose last time (IndexedDB), else
    // the built-in one.
    let source = { kind: SOURCE.default };
    if (model) {
      source = { kind: SOURCE.url, manifestUrl: new URL(model, document.baseURI).href };
    } else {
      const id = await store.getActiveId();
      const stored = id ? await store.getModel(id) : null;
      if (stored) source = storedSource(stored);
    }
    let info;
    try {
      info = await this.#init(source);
    } catch (err) {
      if (source.kind !== SOURCE.bytes || err instanceof CancelledError) throw err;
      // A stored model that no longer loads must not lock the user out: use the built-in one.
      this.status(`The model kept in this browser did not load (${err.message}); using the built-in model.`, 'warning');
      await store.setActiveId(null);
      info = await this.#init({ kind: SOURCE.default });
    }
    this.state.loadMs = performance.now() - t0;
    return info;
  }

  async #init(source) {
    const reply = await this.job(
      JOB.init,
      { backend: this.backendRequest, modules: assets.modules(), gpuMissing: assets.gpuMissing, model: source, autoMemory: autoMemory.read(), autoProbe: this.autoProbe, simd: this.simdRequest },
      { label: 'Loading the model', onLoading: (m) => this.status(m.stage, 'busy') },
    );
    // A freshly timed auto choice is kept for this browser (and adapter): it is timed once.
    if (reply.autoChoice) autoMemory.write(reply.autoChoice);
    this.source = source;
    this.#setModel(reply);
    this.status('', 'busy'); // clears the loading stages, not a warning about the model
    if (reply.poolNote) this.status(`Fewer workers than asked for: ${reply.poolNote}.`, 'warning');
    if (reply.simdNote) this.status(`The CPU module: ${reply.simdNote}.`, 'warning');
    return reply;
  }

  #setModel(info) {
    this.state.model = info;
    this.dispatchEvent(new CustomEvent('model', { detail: info }));
  }

  /**
   * Runs a worker job (a JOB type of protocol.js), announcing it on the `job` event; a wasm trap restarts the worker
   * (the page's input and results stay) and the job fails with a readable message.
   * @param {string} type
   * @param {object} [params]
   * @param {{label?: string, cancellable?: boolean, quiet?: boolean, onProgress?: Function, onLoading?: Function, transfer?: Transferable[], onId?: (id: number) => void}} [options]
   * @returns {Promise<object>} the worker's final reply
   */
  async job(type, params = {}, options = {}) {
    const { label = type, cancellable = false, quiet = false, onProgress, onLoading, transfer, onId } = options;
    const announce = (phase, extra = {}) => {
      // A quiet job's end is announced only when it was the last job, so the status bar clears.
      if (!quiet || (phase === 'end' && this.jobs.size === 0)) this.dispatchEvent(new CustomEvent('job', { detail: { id, type, label, phase, cancellable, ...extra } }));
    };
    if (!this.client) throw new Error('the model is not loaded yet');
    const { id, promise } = this.client.request(type, params, {
      transfer,
      onLoading,
      onProgress: (m) => {
        const unit = m.unit ?? UNIT.sequences;
        announce('progress', { done: m.done, total: m.total, elapsedMs: m.elapsedMs, unit });
        this.emit('progress', { job: type, id, done: m.done, total: m.total, elapsedMs: m.elapsedMs, unit });
        onProgress?.(m);
      },
    });
    onId?.(id);
    this.jobs.set(id, type);
    announce('start');
    try {
      return await promise;
    } catch (err) {
      if (err.fatal) this.#recover();
      throw err;
    } finally {
      this.jobs.delete(id);
      announce('end');
    }
  }

  /** A worker pool (pool.js) with its first worker started; `init` starts the others. */
  async #newClient() {
    const pool = new WorkerPool({ createWorker: assets.createWorker, workers: this.workersRequest });
    pool.addEventListener('backend', (e) => this.#setModel({ ...e.detail, workers: pool.size, memoryBytes: this.state.model?.memoryBytes ?? [] }));
    await pool.start();
    return pool;
  }

  /** @returns {number} the workers in use (0 before the model is loaded) */
  get workers() {
    return this.state.model ? this.client?.size ?? 0 : 0;
  }

  /** Restarts the workers after a wasm trap, with the same model and backend. */
  async #recover() {
    // Several jobs of one pool may fail on the same trap: one restart.
    if (this.#recovering) return;
    this.#recovering = true;
    this.status('The WebAssembly module stopped after an error; restarting it…', 'warning');
    this.client.terminate();
    try {
      this.client = await this.#newClient();
      await this.#init(this.source);
      this.status('The WebAssembly module was restarted after an error; your input and results are kept.', 'note');
    } catch (err) {
      this.reportError(err, 'restart');
    } finally {
      this.#recovering = false;
    }
  }

  #recovering = false;

  /**
   * Cancels a job by id (no effect if it has ended).
   * @param {number} id
   */
  cancel(id) {
    this.client?.cancel(id);
  }

  /**
   * Parses text and predicts every accepted record, keeping the rejected ones for display. A
   * cancelled batch keeps the predictions made before the cancel (`cancelled: {done, total}`).
   * @param {string} text FASTA, one sequence per line, or a TSV/CSV table (input::records)
   * @returns {Promise<object|null>} the results, or null when no record could be read
   */
  async predictText(text) {
    const parsed = (await this.job(JOB.parse, { text }, { label: 'Reading the input' })).result;
    this.state.parsed = parsed;
    this.dispatchEvent(new CustomEvent('parsed', { detail: parsed }));
    if (parsed.records.length === 0) {
      // Nothing to predict: the previous input's table and correlations must not stay as if
      // they were this input's.
      this.state.results = null;
      this.dispatchEvent(new CustomEvent('results', { detail: null }));
      return null;
    }
    const total = parsed.records.length;
    let reply;
    let stopped = null;
    try {
      reply = await this.job(
        JOB.predict,
        { sequences: parsed.records.map((r) => r.construct) },
        { label: `Predicting ${total.toLocaleString('en')} sequences`, cancellable: true },
      );
    } catch (err) {
      if (!(err instanceof CancelledError)) {
        this.dispatchEvent(new CustomEvent('stale', { detail: { message: err.message } }));
        throw err;
      }
      stopped = err.partial ?? { result: new Float32Array(total), computed: new Uint8Array(total), done: 0, total, elapsedMs: 0 };
    }
    const predictions = reply?.result ?? stopped.result;
    const computed = stopped?.computed ?? null;
    const records = [];
    const notPredicted = [];
    parsed.records.forEach((r, i) => {
      if (computed && !computed[i]) notPredicted.push(r);
      else records.push({ ...r, prediction: predictions[i] });
    });
    const results = {
      records,
      rejected: parsed.rejected,
      notPredicted,
      cancelled: stopped ? { done: records.length, total } : null,
      elapsedMs: reply?.elapsedMs ?? stopped.elapsedMs ?? 0,
      backend: reply?.backend ?? this.state.model?.backend ?? null,
      workers: reply?.workers ?? this.workers,
      units: this.state.model?.manifest?.output?.units ?? '',
    };
    this.state.results = results;
    this.dispatchEvent(new CustomEvent('results', { detail: results }));
    this.emit('prediction', {
      records: results.records,
      rejected: results.rejected,
      predictions: records.map((r) => r.prediction),
      elapsedMs: results.elapsedMs,
      backend: results.backend,
      workers: results.workers,
      cancelled: results.cancelled,
    });
    return results;
  }

  /**
   * Chooses a sequence: for every panel that takes one, or with `target` for that panel only.
   * @param {{name: string, sequence: string, target?: string}} choice
   */
  select(choice) {
    this.dispatchEvent(new CustomEvent('select', { detail: choice }));
  }

  /**
   * Loads user weights, and on success keeps them in IndexedDB as the active model.
   * @param {{weights: ArrayBuffer, manifest: string|null, arch: string|null, name: string}} model
   * @returns {Promise<ModelInfo>}
   */
  async loadUserModel(model) {
    const source = { kind: SOURCE.bytes, ...model };
    const info = await this.#load(source);
    try {
      const id = await store.saveModel(model);
      await store.setActiveId(id);
      this.source = { ...source, storedId: id };
    } catch (err) {
      this.status(`Loaded, but could not be kept in this browser (${err.message}).`, 'warning');
    }
    return info;
  }

  /**
   * Switches to a stored model (null: the built-in one) and remembers the choice.
   * @param {string|null} id
   * @returns {Promise<ModelInfo>}
   */
  async useStoredModel(id) {
    let source = { kind: SOURCE.default };
    if (id) {
      const stored = await store.getModel(id);
      if (!stored) throw new Error('that model is no longer stored in this browser');
      source = storedSource(stored);
    }
    const info = await this.#load(source);
    await store.setActiveId(id);
    return info;
  }

  async #load(source) {
    // The pool loads it into every worker.
    const reply = await this.job(JOB.load, { model: source }, { label: 'Loading the model' });
    this.source = source;
    this.#setModel(reply);
    if (reply.poolNote) this.status(`Fewer workers now: ${reply.poolNote}.`, 'warning');
    this.emit('ready', readyDetail(reply, this.state.loadMs));
    return reply;
  }

  /**
   * A message for the status bar ('' clears it): 'busy' is the line of what is running, the
   * other kinds a box that stays until replaced.
   * @param {string} text
   * @param {'busy'|'warning'|'error'|'note'} [kind]
   */
  status(text, kind = 'note') {
    this.dispatchEvent(new CustomEvent('status', { detail: { text, kind } }));
  }

  /**
   * Reports an error: an `error` event on the element; returns the message to show inline.
   * @param {unknown} err
   * @param {string} [context] what was being done
   * @returns {string}
   */
  reportError(err, context = '') {
    const message = err instanceof Error ? err.message : String(err);
    this.emit('error', { message, context });
    return message;
  }

  /**
   * Dispatches a public CustomEvent on the element.
   * @param {string} name ready | prediction | ism | robustness | variants | design | error | progress
   * @param {object} detail
   */
  emit(name, detail) {
    this.host.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
  }
}

function storedSource(stored) {
  return {
    kind: SOURCE.bytes,
    weights: stored.weights,
    manifest: stored.manifest,
    arch: stored.arch,
    name: stored.name,
    storedId: stored.id,
  };
}

/**
 * The detail of the public `ready` event.
 * @param {ModelInfo} info
 * @param {number|null} loadMs
 * @returns {object}
 */
export function readyDetail(info, loadMs) {
  return {
    backend: info.backend,
    module: info.module,
    simd: info.simd ?? null,
    fallback: info.fallback,
    note: info.note,
    adapter: info.adapter,
    autoChoice: info.autoChoice ?? null,
    timings: info.timings ?? null,
    manifest: info.manifest,
    parameterCount: info.parameterCount,
    workers: info.workers ?? 1,
    memoryBytes: info.memoryBytes ?? [],
    loadMs,
  };
}

/**
 * The timed 'auto' backend choice, kept per browser in localStorage (one record: the adapter it
 * was timed on is part of it, so another GPU is timed again). Storage can be unavailable (a
 * sandboxed frame, a privacy mode): then every start times again.
 */
export const autoMemory = {
  KEY: 'camformer-web:auto-backend',
  read() {
    try {
      const text = globalThis.localStorage?.getItem(this.KEY);
      return text ? JSON.parse(text) : null;
    } catch {
      return null;
    }
  },
  write(choice) {
    try {
      globalThis.localStorage?.setItem(this.KEY, JSON.stringify(choice));
    } catch {
      // Not kept: the next start times again.
    }
  },
};
