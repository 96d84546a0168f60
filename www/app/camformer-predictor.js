// <camformer-predictor>: the whole Camformer Web app as one custom element, for the app page
// (www/index.html), a wiki page (pkg/camformer-predictor.js, built from this file by
// scripts/bundle.mjs) or the single-file app (pkg/camformer.html).
//
// Attributes
//   backend  "auto" (default: WebGPU on a real GPU adapter if, timed once per browser on a
//            small batch, it is faster than the CPU workers; else the CPU), "webgpu", "cpu"
//   auto-probe  "always": let "auto" time even a software WebGPU adapter (normally skipped as
//            far slower than the CPU; for testing the timing on machines without a GPU)
//   model    URL of a manifest.json whose weights file sits beside it (default: built-in model)
//   panels   comma-separated panels to show: input, results, ism, motifs, attributions,
//            variants, design, dream, model (default: all)
//   workers  Web Workers on the CPU backend, each with its own wasm instance and model, so long
//            jobs use every core (default: one per core, at most 4; 1-16); WebGPU runs one
//   simd     the CPU module's build: "auto" (default: the relaxed-SIMD one, with fused
//            multiply-add, where the browser has relaxed SIMD; else simd128), "simd128",
//            "relaxed" (falls back to simd128, with a warning, where the browser lacks it)
// Properties and methods
//   ready            Promise: resolves with {backend, simd, manifest, parameterCount, workers, loadMs, ...}
//   backend          "webgpu" | "cpu" (null before ready)
//   workers          the number of workers in use (null before ready); setting it sets the attribute
//   manifest         the model's manifest (null before ready)
//   results          the last predictions made in the panels: {records, rejected, notPredicted,
//                    cancelled: {done, total} | null, ...}; null after an input without a valid sequence
//   predict(seqs)    Promise<number[]>, in order (split across the workers); a cancelled call
//                    rejects with a CancelledError whose `partial.predictions` has the ones made
//   ism(seq, {allPositions, method})  Promise<{construct, reference, start, width, matrix}>;
//                    a list of sequences gives a list of results (one sequence per worker task)
//   request(type, params)  runs any worker job type (JOB in app/protocol.js: predict, ism,
//                    variants, robustness, design, parse, scan, motifInsert, motifTile, motifPair,
//                    attribute, dream, ...; the extension point for new wasm functions)
// Events (CustomEvent, detail as said): ready, prediction, ism, robustness, variants, design,
//   motif {kind, params, result}, attribution, dream, error {message}, progress {done, total, unit}

import { App, readyDetail } from './app.js';
import { assets } from './assets.js';
import { h } from './dom.js';
import { createAttributionsPanel } from './panel-attributions.js';
import { createDesignPanel } from './panel-design.js';
import { createDreamPanel } from './panel-dream.js';
import { createInputPanel } from './panel-input.js';
import { createIsmPanel } from './panel-ism.js';
import { createModelPanel } from './panel-model.js';
import { createMotifsPanel } from './panel-motifs.js';
import { createResultsPanel } from './panel-results.js';
import { createStatusPanel } from './panel-status.js';
import { createVariantsPanel } from './panel-variants.js';
import { CancelledError } from './client.js';
import { MAX_WORKERS } from './pool.js';
import { BACKEND, JOB, SIMD } from './protocol.js';

/** The element's tag name. */
export const TAG = 'camformer-predictor';

/** The panels, in page order; a new panel is one module and one line here. */
const PANELS = [
  ['input', createInputPanel],
  ['results', createResultsPanel],
  ['ism', createIsmPanel],
  ['motifs', createMotifsPanel],
  ['attributions', createAttributionsPanel],
  ['variants', createVariantsPanel],
  ['design', createDesignPanel],
  ['dream', createDreamPanel],
  ['model', createModelPanel],
];

// One stylesheet object shared by every instance on the page.
let sheetPromise = null;
function stylesheet() {
  sheetPromise ??= assets.css().then((text) => {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(text);
    return sheet;
  });
  return sheetPromise;
}

/** The <camformer-predictor> custom element. */
export class CamformerPredictor extends HTMLElement {
  static observedAttributes = ['backend', 'model', 'panels', 'workers', 'auto-probe', 'simd'];

  #app = new App(this);
  #ready = null;
  #settle = null;
  #started = false;
  #generation = 0;
  #sections = new Map();

  constructor() {
    super();
    this.attachShadow({ mode: 'open' });
    this.#newReady();
  }

  connectedCallback() {
    if (this.#started) return;
    this.#started = true;
    this.#render();
    // After the current task, so attributes set right after the element is created count.
    queueMicrotask(() => this.#start());
  }

  attributeChangedCallback(name, oldValue, newValue) {
    if (!this.#started || oldValue === newValue) return;
    if (name === 'panels') this.#showPanels();
    else this.#start();
  }

  /** @returns {Promise<object>} resolves when the model is loaded */
  get ready() {
    return this.#ready;
  }

  /** @returns {'webgpu'|'cpu'|null} the backend in use */
  get backend() {
    return this.#app.state.model?.backend ?? null;
  }

  /** @returns {number|null} the workers in use (null before the model is loaded) */
  get workers() {
    return this.#app.state.model ? this.#app.workers : null;
  }

  /** @param {number|string|null} n sets the `workers` attribute (null removes it: the default) */
  set workers(n) {
    if (n === null || n === undefined) this.removeAttribute('workers');
    else this.setAttribute('workers', String(n));
  }

  /** @returns {object|null} the loaded model's manifest */
  get manifest() {
    return this.#app.state.model?.manifest ?? null;
  }

  /** @returns {object|null} the last predictions made in the panels */
  get results() {
    return this.#app.state.results;
  }

  /**
   * Predicts sequences (80-bp random regions, 110-bp constructs, or 107-113 bp).
   * @param {string[]} sequences
   * @returns {Promise<number[]>} one prediction per sequence, in order
   */
  async predict(sequences) {
    if (!Array.isArray(sequences)) throw new TypeError('predict: expected an array of sequence strings');
    await this.#ready;
    try {
      const reply = await this.#app.job(
        JOB.predict,
        { sequences: sequences.map(String) },
        { label: `Predicting ${sequences.length.toLocaleString('en')} sequences`, cancellable: true },
      );
      const predictions = Array.from(reply.result);
      this.#app.emit('prediction', { sequences, predictions, elapsedMs: reply.elapsedMs, backend: reply.backend, workers: reply.workers });
      return predictions;
    } catch (err) {
      if (err instanceof CancelledError && err.partial?.computed) {
        // What was predicted before the cancel, in order; null where nothing was.
        const { result, computed, done, total } = err.partial;
        err.partial = { predictions: Array.from(result, (v, i) => (computed[i] ? v : null)), done, total };
      }
      this.#app.reportError(err, 'predict');
      throw err;
    }
  }

  /**
   * In-silico mutagenesis of one sequence, or of a list of them (one sequence per worker task;
   * the ISM of one sequence is one wasm call, so it runs on one worker).
   * @param {string|string[]} sequence
   * @param {{allPositions?: boolean, method?: 'fast'|'naive'}} [options]
   * @returns {Promise<object|object[]>} {construct, reference, start, width, matrix}, or a list of them in order
   */
  async ism(sequence, { allPositions = false, method } = {}) {
    await this.#ready;
    try {
      const many = Array.isArray(sequence);
      const params = many ? { sequences: sequence.map(String), allPositions, method } : { sequence: String(sequence), allPositions, method };
      const label = many ? `In-silico mutagenesis of ${sequence.length.toLocaleString('en')} sequences` : 'In-silico mutagenesis';
      const reply = await this.#app.job(JOB.ism, params, { label, cancellable: many });
      this.#app.emit('ism', { sequence, result: reply.result, elapsedMs: reply.elapsedMs, source: 'api' });
      return reply.result;
    } catch (err) {
      this.#app.reportError(err, 'ism');
      throw err;
    }
  }

  /**
   * Runs any job type of the worker (the extension point for new wasm functions).
   * @param {string} type a value of JOB (app/protocol.js), e.g. 'variants'
   * @param {object} [params]
   * @returns {Promise<object>} the worker's final reply
   */
  async request(type, params = {}) {
    await this.#ready;
    return this.#app.job(type, params, { label: type });
  }

  #newReady() {
    let settle;
    this.#ready = new Promise((resolve, reject) => (settle = { resolve, reject }));
    // The element reports failures itself (status bar, `error` event); a page that never
    // awaits `ready` must not get an unhandled rejection.
    this.#ready.catch(() => {});
    this.#settle = settle;
  }

  async #start() {
    const generation = ++this.#generation;
    if (!this.#settle) this.#newReady(); // a restart after `ready` settled: a fresh promise
    try {
      const info = await this.#app.start({
        backend: this.getAttribute('backend') || BACKEND.auto,
        model: this.getAttribute('model'),
        workers: this.#workersAttribute(),
        autoProbe: this.getAttribute('auto-probe'),
        simd: this.#simdAttribute(),
      });
      if (generation !== this.#generation) return;
      const detail = readyDetail(info, this.#app.state.loadMs);
      this.#settle.resolve(detail);
      this.#settle = null;
      this.#app.emit('ready', detail);
    } catch (err) {
      if (generation !== this.#generation) return;
      const message = this.#app.reportError(err, 'load');
      this.#app.status(`The model did not load: ${message}`, 'error');
      this.#settle.reject(err);
      this.#settle = null;
    }
  }

  /** The `simd` attribute (SIMD.*), or null for auto (a bad value is said so). */
  #simdAttribute() {
    const attr = this.getAttribute('simd');
    if (attr === null || attr.trim() === '') return null;
    const value = attr.trim().toLowerCase();
    if (Object.values(SIMD).includes(value)) return value;
    queueMicrotask(() => this.#app.status(`simd="${attr}" is not one of ${Object.values(SIMD).join(', ')}; using auto.`, 'warning'));
    return null;
  }

  /** The `workers` attribute as a number, or null for the default (a bad value is said so). */
  #workersAttribute() {
    const attr = this.getAttribute('workers');
    if (attr === null || attr.trim() === '' || attr.trim().toLowerCase() === 'auto') return null;
    const n = Number(attr);
    if (Number.isInteger(n) && n >= 1 && n <= MAX_WORKERS) return n;
    // After start() has cleared the status bar, so the warning stays.
    queueMicrotask(() => this.#app.status(`workers="${attr}" is not a whole number from 1 to ${MAX_WORKERS}; using the default.`, 'warning'));
    return null;
  }

  #render() {
    const app = this.#app;
    const root = h('div', { class: 'cf-app', hidden: true });
    root.append(createStatusPanel(app).element);
    const grid = h('div', { class: 'cf-grid' });
    for (const [name, create] of PANELS) {
      const section = h('section', { class: `cf-panel cf-panel-${name}`, data: { panel: name } }, create(app).element);
      this.#sections.set(name, section);
      grid.append(section);
    }
    root.append(grid);
    this.shadowRoot.replaceChildren(root);
    this.#showPanels();
    // Shown once styled; unstyled but usable if the stylesheet cannot be read.
    stylesheet()
      .then((sheet) => (this.shadowRoot.adoptedStyleSheets = [sheet]))
      .catch((err) => app.reportError(err, 'styles'))
      .finally(() => (root.hidden = false));
  }

  #showPanels() {
    const attr = this.getAttribute('panels');
    const wanted = new Set((attr ?? PANELS.map(([n]) => n).join(',')).split(',').map((p) => p.trim().toLowerCase()));
    for (const [name, section] of this.#sections) section.hidden = !wanted.has(name);
  }
}

// Registered once, also if two copies of this module are loaded on one page.
if (!customElements.get(TAG)) customElements.define(TAG, CamformerPredictor);
