// The benchmark page (www/bench.html): runs Camformer Web on the wasm CPU backend and on
// WebGPU, and the same Mini model in ONNX Runtime Web, each in its own Web Worker, one after
// the other; shows a table and, when finished, sets `window.benchResults` (JSON-compatible).
//
// The wasm CPU suite runs on the simd128 build of the CPU module and, where the browser has
// relaxed SIMD, again on the relaxed-SIMD build (fused multiply-add), each in its own worker.
//
// URL options: ?reps=5 (timed runs per measurement, after one warm-up), ?batch=256 (the
// throughput batch; smaller only for smoke tests), ?relaxed=0 (skip the relaxed-SIMD build), ?webgpu=0 (skip
// WebGPU), ?webgpuFull=1 (full sizes even on a fallback adapter), ?webgpuIsm=0 (no ISM on a
// fallback adapter; by default it runs fast ISM of 240 mutants there, ~16 s on SwiftShader), ?webgpuBatch=8, ?ort=0 (skip the peer), ?ortThreads=1,
// ?onnx=URL (default /target/bench/camformer_mini.onnx, written by scripts/export_onnx.py).

import { hasRelaxedSimd } from '../app/wasm-features.js';
import { BATCH, MUTANTS, messageOf, repeatTo, sequencesOfTsv } from './common.js';

const params = new URLSearchParams(location.search);
const num = (name, fallback) => {
  const v = Number(params.get(name));
  return params.has(name) && Number.isFinite(v) && v > 0 ? v : fallback;
};
const flag = (name, fallback) => (params.has(name) ? !['0', 'false', 'no'].includes(params.get(name)) : fallback);

const CONFIG = {
  reps: Math.round(num('reps', 5)),
  batch: Math.round(num('batch', BATCH)),
  webgpu: flag('webgpu', true),
  relaxed: flag('relaxed', true),
  webgpuFull: flag('webgpuFull', false),
  webgpuIsm: flag('webgpuIsm', true),
  webgpuSmallBatch: Math.round(num('webgpuBatch', 8)),
  ort: flag('ort', true),
  ortThreads: Math.round(num('ortThreads', 1)),
  onnxUrl: new URL(params.get('onnx') ?? '../target/bench/camformer_mini.onnx', location.href).href,
  sampleUrl: new URL('../tests/data/dream_test_sample.tsv', location.href).href,
};

const results = {
  meta: {
    page: location.href,
    date: new Date().toISOString(),
    userAgent: navigator.userAgent,
    hardwareConcurrency: navigator.hardwareConcurrency,
    crossOriginIsolated: self.crossOriginIsolated === true,
    config: { ...CONFIG },
  },
  page: {},
  camformer: {},
  ort: null,
  checks: {},
  errors: [],
};

// ---- a worker with numbered requests ----

function client(url) {
  const worker = new Worker(url, { type: 'module' });
  const pending = new Map();
  let next = 1;
  worker.onmessage = ({ data }) => {
    if (data.progress) return status(data.progress);
    const job = pending.get(data.id);
    if (!job) return;
    pending.delete(data.id);
    if (data.error !== undefined) job.reject(Object.assign(new Error(data.error), { workerStack: data.stack }));
    else job.resolve(data.result);
  };
  worker.onerror = (event) => {
    event.preventDefault();
    for (const job of pending.values()) job.reject(new Error(`worker ${url}: ${event.message || 'failed to start'}`));
    pending.clear();
  };
  return {
    request(type, fields = {}) {
      const id = next++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, type, ...fields });
      });
    },
    terminate: () => worker.terminate(),
  };
}

// ---- display ----

const $ = (sel) => document.querySelector(sel);

function status(text) {
  $('#status').textContent = text;
}

const fmt = {
  s: (x) => (x === undefined || x === null || !Number.isFinite(x) ? '' : x < 1 ? `${(x * 1000).toFixed(0)} ms` : `${x.toFixed(2)} s`),
  ms: (x) => (x === undefined || x === null || !Number.isFinite(x) ? '' : `${x.toFixed(0)} ms`),
  rate: (x) => (x === undefined || x === null || !Number.isFinite(x) ? '' : `${x.toFixed(1)}`),
};

function addRow(engine, what, value, detail = '') {
  const tr = document.createElement('tr');
  for (const text of [engine, what, value, detail]) {
    const td = document.createElement('td');
    td.textContent = text;
    tr.append(td);
  }
  $('#results tbody').append(tr);
}

function showSuite(engine, r) {
  if (!r) return;
  if (r.skipped) return addRow(engine, 'skipped', '', r.skipped);
  if (r.predict) {
    addRow(engine, `predict ${r.predict.batch} (sequences/s)`, fmt.rate(r.predict.seq_per_s), `median ${fmt.s(r.predict.median_s)}; runs ${r.predict.runs_s.map(fmt.s).join(', ')}`);
  }
  for (const [key, v] of Object.entries(r.ism ?? {})) {
    if (typeof v !== 'object') continue;
    const [method, ...rest] = key.split('_');
    const positions = rest.join('_');
    const what = `ISM ${method}, ${MUTANTS[positions]} mutants${v.batch ? ` (one batch of ${v.batch})` : ''}`;
    addRow(engine, what, fmt.s(v.median_s), `runs ${v.runs_s.map(fmt.s).join(', ')}`);
  }
}

// ---- the run ----

async function main() {
  const tsv = fetch(CONFIG.sampleUrl).then((r) => {
    if (!r.ok) throw new Error(`${CONFIG.sampleUrl}: HTTP ${r.status}`);
    return r.text();
  });
  status('loading the WebAssembly module and the default model (CPU)');
  const cf = client(new URL('./camformer-worker.js', import.meta.url));
  const init = await cf.request('init');
  results.page.workerReadyMs = performance.now();
  const sample = sequencesOfTsv(await tsv);
  const sequences = repeatTo(sample, Math.max(CONFIG.batch, 8));
  const ismSequence = sample[0];
  const first = await cf.request('predictOne', { sequence: ismSequence });
  // From navigation start to the first prediction back on the page: the page, the worker, the
  // wasm module (fetch + compile), the model (weights decoded, checked, batch norm folded), one
  // prediction.
  results.page.firstPredictionMs = performance.now();
  results.page.firstPredictMs = first.ms;
  results.camformer.load = { wasmInitMs: init.wasmInitMs, modelLoadMs: init.modelLoadMs, model: init.manifestName, weights_sha256: init.weightsSha256 };
  addRow('page', 'navigation to first prediction', fmt.ms(results.page.firstPredictionMs), `wasm fetch+compile ${fmt.ms(init.wasmInitMs)}, model load ${fmt.ms(init.modelLoadMs)}, first predict ${fmt.ms(first.ms)}`);

  const config = { sequences, batch: CONFIG.batch, ismSequence, reps: CONFIG.reps, webgpuFull: CONFIG.webgpuFull, webgpuIsm: CONFIG.webgpuIsm, webgpuSmallBatch: CONFIG.webgpuSmallBatch };
  results.meta.ismSequence = ismSequence;
  results.meta.sampleSequences = sample.length;

  try {
    results.camformer.cpu = await cf.request('cpu', { config });
    const reload = results.camformer.cpu.model_reload_ms;
    addRow('Camformer wasm CPU', 'model load (first / median reload)', fmt.ms(init.modelLoadMs), `reloads ${reload.map(fmt.ms).join(', ')}`);
    showSuite('Camformer wasm CPU (1 thread, simd128)', results.camformer.cpu);
  } catch (err) {
    results.errors.push(`wasm CPU: ${messageOf(err)}`);
    addRow('Camformer wasm CPU', 'error', '', messageOf(err));
  }

  if (CONFIG.webgpu) {
    try {
      const r = await cf.request('webgpu', { config });
      results.camformer.webgpu = r;
      const label = r.adapter
        ? `Camformer WebGPU (${[r.adapter.vendor, r.adapter.architecture].filter(Boolean).join(' ') || 'adapter'}${r.adapter.isFallbackAdapter ? ', software fallback' : ''}${r.small_sizes ? ', small sizes' : ''})`
        : 'Camformer WebGPU';
      if (r.model_load_ms !== undefined) addRow(label, 'model load', fmt.ms(r.model_load_ms), `${r.module}: wasm fetch + compile ${fmt.ms(r.wasm_init_ms)}`);
      showSuite(label, r);
    } catch (err) {
      results.camformer.webgpu = { error: messageOf(err) };
      results.errors.push(`WebGPU: ${messageOf(err)}`);
      addRow('Camformer WebGPU', 'error', '', messageOf(err));
    }
  } else {
    results.camformer.webgpu = { skipped: 'disabled (?webgpu=0)' };
  }
  cf.terminate();

  if (!CONFIG.relaxed) {
    results.camformer.cpu_relaxed = { skipped: 'disabled (?relaxed=0)' };
  } else if (!hasRelaxedSimd()) {
    results.camformer.cpu_relaxed = { skipped: 'this browser has no relaxed SIMD' };
  } else {
    status('the relaxed-SIMD build of the CPU module');
    const rx = client(new URL('./camformer-worker.js?simd=relaxed', import.meta.url));
    try {
      const load = await rx.request('init');
      results.camformer.cpu_relaxed = { ...(await rx.request('cpu', { config })), load };
      showSuite('Camformer wasm CPU (1 thread, relaxed SIMD)', results.camformer.cpu_relaxed);
    } catch (err) {
      results.camformer.cpu_relaxed = { error: messageOf(err) };
      results.errors.push(`wasm CPU, relaxed SIMD: ${messageOf(err)}`);
      addRow('Camformer wasm CPU, relaxed SIMD', 'error', '', messageOf(err));
    } finally {
      rx.terminate();
    }
  }

  if (CONFIG.ort) {
    status('ONNX Runtime Web: loading');
    const peer = client(new URL('./ort-worker.js', import.meta.url));
    try {
      results.ort = await peer.request('run', { config: { onnxUrl: CONFIG.onnxUrl, sequences, batch: CONFIG.batch, ismSequence, reps: CONFIG.reps, threads: CONFIG.ortThreads } });
      const label = `ONNX Runtime Web ${results.ort.version ?? ''} (wasm, ${results.ort.threads ?? CONFIG.ortThreads} thread${CONFIG.ortThreads === 1 ? '' : 's'})`;
      if (results.ort.session_create_ms !== undefined) addRow(label, 'runtime + session load', fmt.ms(results.ort.session_create_ms));
      showSuite(label, results.ort);
    } catch (err) {
      results.ort = { error: messageOf(err) };
      results.errors.push(`ONNX Runtime Web: ${messageOf(err)}`);
      addRow('ONNX Runtime Web', 'error', '', messageOf(err));
    } finally {
      peer.terminate();
    }
  } else {
    results.ort = { skipped: 'disabled (?ort=0)' };
  }

  // Every engine ran the same model on the same sequences: their first predictions agree.
  const ref = results.camformer.cpu?.first_predictions;
  const diff = (other) => (ref && other ? Math.max(...other.map((v, i) => Math.abs(v - ref[i]))) : null);
  results.checks.webgpu_vs_cpu_max_abs_diff = diff(results.camformer.webgpu?.first_predictions);
  results.checks.relaxed_vs_simd128_max_abs_diff = diff(results.camformer.cpu_relaxed?.first_predictions);
  results.checks.ort_vs_cpu_max_abs_diff = diff(results.ort?.first_predictions);
  // The ONNX file names the weights it was exported from (scripts/export_onnx.py's sidecar).
  const onnxSha = results.ort?.onnx_weights_sha256;
  if (onnxSha) results.checks.ort_same_weights = onnxSha === results.camformer.load?.weights_sha256;
  for (const [k, v] of Object.entries(results.checks)) {
    if (typeof v === 'number') addRow('check', k, v.toExponential(2));
    else if (typeof v === 'boolean') addRow('check', k, String(v));
  }
}

main()
  .catch((err) => {
    results.errors.push(messageOf(err));
    addRow('page', 'error', '', messageOf(err));
  })
  .finally(() => {
    results.page.totalMs = performance.now();
    status(results.errors.length ? `finished with ${results.errors.length} error(s)` : 'finished');
    $('#json').textContent = JSON.stringify(results, null, 1);
    window.benchResults = results;
    document.documentElement.dataset.benchDone = 'true';
  });
