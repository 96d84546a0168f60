// <camformer-predictor>: the whole Camformer Web app as one custom element, for the app page
// (www/index.html), a wiki page (pkg/camformer-predictor.js, built from this file by
// scripts/bundle.mjs) or the single-file app (pkg/camformer.html).
//
// Attributes
//   backend  "auto" (default: WebGPU on a real GPU adapter, else the CPU), "webgpu", "cpu"
//   model    URL of a manifest.json whose weights file sits beside it (default: built-in model)
//   panels   comma-separated panels to show: input, results, ism, motifs, attributions,
//            variants, design, dream, model (default: all)
// Properties and methods
//   ready            Promise: resolves with {backend, manifest, parameterCount, loadMs, ...}
//   backend          "webgpu" | "cpu" (null before ready)
//   manifest         the model's manifest (null before ready)
//   results          the last predictions made in the panels
//   predict(seqs)    Promise<number[]>, in order
//   ism(seq, {allPositions, method})  Promise<{construct, reference, start, width, matrix}>
//   request(type, params)  runs any worker job type (www/worker.js JOBS: predict, ism, variants,
//                    robustness, design, parse, scan, motifInsert, motifTile, motifPair, attribute,
//                    dream, ...; the extension point for new wasm functions)
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
  static observedAttributes = ['backend', 'model', 'panels'];

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
        'predict',
        { sequences: sequences.map(String) },
        { label: `Predicting ${sequences.length.toLocaleString('en')} sequences`, cancellable: true },
      );
      const predictions = Array.from(reply.result);
      this.#app.emit('prediction', { sequences, predictions, elapsedMs: reply.elapsedMs, backend: reply.backend });
      return predictions;
    } catch (err) {
      this.#app.reportError(err, 'predict');
      throw err;
    }
  }

  /**
   * In-silico mutagenesis of one sequence.
   * @param {string} sequence
   * @param {{allPositions?: boolean, method?: 'fast'|'naive'}} [options]
   * @returns {Promise<{construct: string, reference: number, start: number, width: number, matrix: number[]}>}
   */
  async ism(sequence, { allPositions = false, method } = {}) {
    await this.#ready;
    try {
      const reply = await this.#app.job('ism', { sequence: String(sequence), allPositions, method }, { label: 'In-silico mutagenesis' });
      this.#app.emit('ism', { sequence, result: reply.result, elapsedMs: reply.elapsedMs, source: 'api' });
      return reply.result;
    } catch (err) {
      this.#app.reportError(err, 'ism');
      throw err;
    }
  }

  /**
   * Runs any job type of the worker (the extension point for new wasm functions).
   * @param {string} type
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
      const info = await this.#app.start({ backend: this.getAttribute('backend') || 'auto', model: this.getAttribute('model') });
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
