// Benchmark worker for Camformer Web (the wasm package in pkg/): one request at a time.
//   {id, type: 'init'}                           -> {wasmInitMs, modelLoadMs}  (CPU model)
//   {id, type: 'predictOne', sequence}           -> {ms, value}                (cold first call)
//   {id, type: 'cpu', config}                    -> CPU suite results
//   {id, type: 'webgpu', config}                 -> WebGPU suite results (or {skipped})
// Replies {id, result} or {id, error}; {progress: text} while running.
// Every timing ends after the result is back in JavaScript (predict: a Float32Array; ISM: the
// matrix), so asynchronous (WebGPU) work is included.
// Two wasm modules, as the app: the CPU one (pkg/camformer.js, every page loads it) and the
// WebGPU one (pkg/camformer-gpu.js), loaded only for the WebGPU part; a build with a single
// module (no camformer-gpu.js) runs WebGPU in the CPU module, if that has the backend.
// The CPU module's build comes from this worker's URL: ?simd=relaxed loads
// camformer-relaxed_bg.wasm (fused multiply-add) with the same glue; otherwise the simd128 one.

import { hasRelaxedSimd, hasSimd128 } from '../app/wasm-features.js';
import { BATCH, MUTANTS, maxAbsDiff, messageOf, timed } from './common.js';

const SIMD = new URLSearchParams(self.location.search).get('simd') === 'relaxed' ? 'relaxed' : 'simd128';
const GLUE_URL = new URL('../../pkg/camformer.js', import.meta.url).href;
const WASM_URL = new URL(SIMD === 'relaxed' ? '../../pkg/camformer-relaxed_bg.wasm' : '../../pkg/camformer_bg.wasm', import.meta.url).href;
const GPU_GLUE_URL = new URL('../../pkg/camformer-gpu.js', import.meta.url).href;
const GPU_WASM_URL = new URL('../../pkg/camformer-gpu_bg.wasm', import.meta.url).href;

let glue = null;
let cpuModel = null;

const progress = (text) => self.postMessage({ progress: text });

async function init() {
  if (SIMD === 'relaxed' && !hasRelaxedSimd()) throw new Error('this browser has no relaxed SIMD');
  const t0 = performance.now();
  glue = await import(GLUE_URL);
  await glue.default({ module_or_path: WASM_URL });
  const wasmInitMs = performance.now() - t0;
  const t1 = performance.now();
  cpuModel = await glue.CamformerModel.loadDefault('cpu');
  const manifest = cpuModel.manifest;
  return {
    wasmInitMs,
    modelLoadMs: performance.now() - t1,
    backend: cpuModel.backend,
    simd: SIMD,
    manifestName: manifest?.name ?? null,
    weightsSha256: manifest?.weights?.sha256 ?? null,
  };
}

async function predictOne({ sequence }) {
  const t = performance.now();
  const out = await cpuModel.predict([sequence]);
  return { ms: performance.now() - t, value: out[0] };
}

/** The WebGPU module's glue (or the CPU module's, for a single-module build). */
async function gpuGlue() {
  const t = performance.now();
  const response = await fetch(GPU_WASM_URL);
  if (response.status === 404) return { glue, module: 'camformer (single module)', wasmInitMs: 0 };
  if (!response.ok) throw new Error(`${GPU_WASM_URL}: HTTP ${response.status}`);
  const g = await import(GPU_GLUE_URL);
  await g.default({ module_or_path: response });
  return { glue: g, module: 'camformer-gpu', wasmInitMs: performance.now() - t };
}

/** Model load (warm: the module is compiled), median of `n` loads. */
async function reloads(backend, n) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const m = await glue.CamformerModel.loadDefault(backend);
    times.push(performance.now() - t);
    m.free();
  }
  return times;
}

/** Predict and ISM on `model`; sizes and repetitions from `plan`. */
async function suite(model, plan, label) {
  const out = { predict: null, ism: {}, first_predictions: null };
  const batch = plan.sequences.slice(0, plan.batch);
  out.first_predictions = Array.from(await model.predict(plan.sequences.slice(0, 8)));

  progress(`${label}: predict ${batch.length} sequences (${plan.reps} runs after a warm-up)`);
  const p = await timed(async () => (await model.predict(batch)).length, { reps: plan.reps });
  if (p.last !== batch.length) throw new Error(`predict returned ${p.last} values for ${batch.length} sequences`);
  out.predict = { batch: batch.length, median_s: p.median_s, min_s: p.min_s, runs_s: p.runs_s, warmup_s: p.warmup_s, seq_per_s: batch.length / p.median_s };

  const matrices = {};
  for (const positions of plan.ismPositions) {
    for (const method of plan.ismMethods) {
      const key = `${method}_${positions}`;
      progress(`${label}: ISM ${method}, ${MUTANTS[positions]} mutants (${plan.reps} runs after a warm-up)`);
      const r = await timed(() => model.ism(plan.ismSequence, positions === 'all_positions', method), { reps: plan.reps });
      const mutants = 3 * r.last.width;
      if (mutants !== MUTANTS[positions]) throw new Error(`ISM ${key}: ${mutants} mutants, expected ${MUTANTS[positions]}`);
      matrices[key] = r.last.matrix;
      out.ism[key] = { mutants, median_s: r.median_s, min_s: r.min_s, runs_s: r.runs_s, warmup_s: r.warmup_s };
    }
    const fast = matrices[`fast_${positions}`];
    const naive = matrices[`naive_${positions}`];
    if (fast && naive) out.ism[`fast_vs_naive_max_abs_diff_${positions}`] = maxAbsDiff(fast, naive);
  }
  return out;
}

async function cpu({ config }) {
  const plan = {
    sequences: config.sequences,
    batch: config.batch ?? BATCH,
    reps: config.reps,
    ismSequence: config.ismSequence,
    ismPositions: ['random_region', 'all_positions'],
    ismMethods: ['fast', 'naive'],
  };
  progress('CPU: model reloads');
  const loads = await reloads('cpu', 3);
  const result = await suite(cpuModel, plan, 'wasm CPU');
  result.model_reload_ms = loads;
  result.threads = 1;
  result.simd128 = hasSimd128();
  result.build = SIMD;
  return result;
}

async function webgpu({ config }) {
  const gpu = self.navigator?.gpu;
  if (!gpu) return { skipped: 'this browser has no WebGPU (navigator.gpu)' };
  const adapter = await gpu.requestAdapter();
  if (!adapter) return { skipped: 'no WebGPU adapter' };
  const info = adapter.info ?? {};
  const fallback = Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter);
  const described = { vendor: info.vendor ?? '', architecture: info.architecture ?? '', description: info.description ?? '', isFallbackAdapter: fallback };
  // A software fallback adapter (SwiftShader) is 60-110x slower than the wasm CPU path: small
  // sizes only, labelled, so the page finishes in minutes.
  const small = fallback && !config.webgpuFull;
  const plan = {
    sequences: config.sequences,
    batch: small ? config.webgpuSmallBatch : config.batch ?? BATCH,
    reps: small ? Math.min(config.reps, 2) : config.reps,
    ismSequence: config.ismSequence,
    ismPositions: small && !config.webgpuIsm ? [] : small ? ['random_region'] : ['random_region', 'all_positions'],
    ismMethods: small ? ['fast'] : ['fast', 'naive'],
  };
  progress(`WebGPU (${described.vendor} ${described.architecture}${fallback ? ', fallback adapter' : ''}): loading the WebGPU module and the model`);
  let loaded;
  try {
    loaded = await gpuGlue();
  } catch (err) {
    return { skipped: `the WebGPU module did not load: ${messageOf(err)}`, adapter: described };
  }
  const t = performance.now();
  let model;
  try {
    model = await loaded.glue.CamformerModel.loadDefault('webgpu');
  } catch (err) {
    return { skipped: `loading on WebGPU failed (${loaded.module}): ${messageOf(err)}`, adapter: described };
  }
  const modelLoadMs = performance.now() - t;
  try {
    const result = await suite(model, plan, `WebGPU${fallback ? ' (fallback adapter)' : ''}`);
    return { ...result, adapter: described, small_sizes: small, module: loaded.module, wasm_init_ms: loaded.wasmInitMs, model_load_ms: modelLoadMs, backend: model.backend };
  } finally {
    model.free();
  }
}

const JOBS = { init, predictOne, cpu, webgpu };

let chain = Promise.resolve();
self.onmessage = (event) => {
  const msg = event.data ?? {};
  chain = chain.then(async () => {
    try {
      const job = JOBS[msg.type];
      if (!job) throw new Error(`unknown request '${msg.type}'`);
      self.postMessage({ id: msg.id, result: await job(msg) });
    } catch (err) {
      self.postMessage({ id: msg.id, error: messageOf(err), stack: err?.stack ?? null });
    }
  });
};
