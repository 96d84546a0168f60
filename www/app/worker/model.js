// The worker's model jobs (init, load, info) and what every other job runs the model through:
// the backend choice, the two wasm modules, model loading, and `withFallback` / `modelCall`,
// which move a failed WebGPU model to the CPU and retry.
//
// Two wasm modules with the same JavaScript API: the CPU-only one (camformer.js +
// camformer_bg.wasm, small; every page loads it) and the WebGPU one (camformer-gpu.js +
// camformer-gpu_bg.wasm, ~3x larger), loaded only when the chosen backend is WebGPU. If the
// WebGPU module or device fails, the model is loaded from the CPU module and the reply says why.

import { BACKEND, MODULE, SIMD, SOURCE, STATUS } from '../protocol.js';
import { hasRelaxedSimd } from '../wasm-features.js';
import { Cancelled, isBackendFailure, messageOf, renumber, requireModel, requireWasm, state } from './runtime.js';

/**
 * JOB.init: chooses the backend, loads its wasm module and a model: {backend, modules,
 * gpuMissing, model}. The WebGPU module is fetched only when WebGPU is chosen.
 */
export async function init(job, ctx) {
  state.modules = job.modules ?? null;
  state.gpuMissing = job.gpuMissing ?? null;
  state.simdRequest = job.simd ?? SIMD.auto;
  if (!state.modules?.cpu) throw new Error('init: no CPU wasm module given');
  ctx.loading('choosing a backend');
  const choice = await chooseBackend(job.backend ?? BACKEND.auto, job.autoMemory ?? null, job.autoProbe === 'always');
  state.adapter = choice.adapter ?? null;
  state.note = choice.note ?? null;
  state.autoChoice = choice.remembered ?? null;
  const t1 = performance.now();
  state.wasmMs = 0;
  await loadModel(job.model ?? { kind: SOURCE.default }, choice.backend, choice.reason ?? null, ctx);
  const wasmMs = state.wasmMs;
  let probeMs = 0;
  if (choice.probe && state.backend === BACKEND.webgpu) {
    const t2 = performance.now();
    await probeAuto(ctx, choice.key, Math.max(1, Number(job.poolSize) || 1));
    probeMs = performance.now() - t2;
  }
  return {
    status: STATUS.ready,
    ...modelInfo(),
    ...forThePool(job.model),
    timings: { wasmMs, modelMs: performance.now() - t1 - wasmMs - probeMs, probeMs },
  };
}

/** JOB.load: replaces the model, keeping the backend: {model: ModelSource}. */
export async function load(job, ctx) {
  requireWasm();
  ctx.loading('loading the model');
  const t0 = performance.now();
  await loadModel(job.model, state.backend ?? BACKEND.cpu, state.fallback, ctx);
  return { status: STATUS.ready, ...modelInfo(), ...forThePool(job.model), timings: { modelMs: performance.now() - t0 } };
}

/**
 * What the page's worker pool (app/pool.js) needs to start more workers like this one: the
 * compiled CPU module (a WebAssembly.Module crosses postMessage without being copied or
 * compiled again), and a model given by URL as the bytes fetched here, so the other workers
 * need not fetch it again.
 */
function forThePool(requested) {
  const out = {};
  if (state.module === MODULE.cpu && state.compiled.cpu) {
    out.wasmModule = state.compiled.cpu;
    out.wasmSimd = state.simd;
  }
  if (requested?.kind === SOURCE.url && state.source?.kind === SOURCE.bytes) out.resolvedModel = state.source;
  return out;
}

/** JOB.info: the current model's description. */
export async function info() {
  requireModel();
  return modelInfo();
}

/**
 * One model call as most jobs make it: a cancellation point first, the call with the WebGPU
 * fallback, and the reply's common fields.
 * @param {{checkpoint: () => Promise<void>}} ctx
 * @param {() => any} call
 * @returns {Promise<{result: any, elapsedMs: number, backend: string}>}
 */
export async function modelCall(ctx, call) {
  requireModel();
  await ctx.checkpoint();
  const t0 = performance.now();
  const result = await withFallback(call);
  return { result, elapsedMs: performance.now() - t0, backend: state.backend };
}

/**
 * Runs a model call; on a WebGPU failure that is not about the input, reloads the model on the
 * CPU, announces it and retries once. `offset` renumbers "sequence N" errors of a chunk.
 */
export async function withFallback(call, offset = 0) {
  try {
    return await call();
  } catch (err) {
    if (err instanceof Cancelled) throw err;
    if (state.backend === BACKEND.webgpu && isBackendFailure(err)) {
      const reason = `WebGPU failed (${messageOf(err)}); using the CPU`;
      await loadModel(state.source, BACKEND.cpu, reason);
      self.postMessage({ id: null, status: STATUS.backend, ...modelInfo() });
      return call();
    }
    throw renumber(err, offset);
  }
}

/** The ModelInfo of the protocol (app/protocol.js). */
function modelInfo() {
  const model = state.model;
  return {
    backend: state.backend,
    module: state.module,
    fallback: state.fallback,
    adapter: state.adapter,
    note: state.note,
    simd: state.module === MODULE.cpu ? state.simd : null,
    simdNote: state.module === MODULE.cpu ? state.simdNote : null,
    autoChoice: state.autoChoice,
    manifest: model.manifest,
    parameterCount: model.parameterCount,
    // This worker's wasm linear memory (the model, its buffers, the heap): what one more worker
    // of the pool costs, besides the compiled code, which the workers share.
    memoryBytes: state.exports[state.module]?.memory?.buffer?.byteLength ?? null,
    source: state.source?.kind === SOURCE.default ? 'default' : state.source?.name ?? 'user weights',
  };
}

/**
 * The instantiated glue of one module (MODULE.cpu or MODULE.gpu), loaded (fetched, compiled) on first use.
 * A failed load is forgotten, so a later call tries again.
 */
function glueFor(kind) {
  state.glues[kind] ??= loadGlue(kind).catch((err) => {
    state.glues[kind] = null;
    throw err;
  });
  return state.glues[kind];
}

async function loadGlue(kind) {
  const spec = state.modules?.[kind];
  if (!spec) {
    throw new Error(kind === MODULE.gpu ? state.gpuMissing ?? 'this build has no WebGPU module' : 'no CPU wasm module given');
  }
  const t0 = performance.now();
  try {
    // The single-file build defines the CPU glue as a classic script before this code.
    const glue = kind === MODULE.cpu && self.camformerGlue ? self.camformerGlue : await importGlue(spec.glueUrl);
    // Compiled here rather than inside the glue's init, so the Module can be kept and handed to
    // the pool's other workers (the glue's init accepts a compiled module as well).
    let build = kind === MODULE.cpu ? cpuBuild(spec, state.simdRequest) : { wasm: spec.wasm };
    let module;
    try {
      module = await compile(build.wasm ?? {});
    } catch (err) {
      if (build.simd !== SIMD.relaxed) throw err;
      // A server (a wiki's file store) without the relaxed build still serves the simd128 one.
      const note = `the relaxed-SIMD module did not load (${messageOf(err)}); using the simd128 one`;
      build = { ...cpuBuild(spec, SIMD.simd128), note };
      module = await compile(build.wasm ?? {});
    }
    state.exports[kind] = await glue.default({ module_or_path: module });
    state.compiled[kind] = module;
    if (kind === MODULE.cpu) {
      state.simd = build.simd;
      state.simdNote = build.note;
    }
    return glue;
  } catch (err) {
    throw kind === MODULE.gpu ? new Error(`the WebGPU module did not load (${messageOf(err)})`) : err;
  } finally {
    state.wasmMs += performance.now() - t0;
  }
}

/**
 * Which build of the CPU module to load: the relaxed-SIMD one (fused multiply-add, ~1.3x the
 * speed of the simd128 build where the CPU has FMA) when the page offers it and this engine validates relaxed SIMD,
 * unless the simd128 one was asked for; otherwise the simd128 one, which every engine with wasm
 * SIMD runs. Both run with the same glue.
 * @returns {{wasm: object, simd: string, note: string|null}}
 */
function cpuBuild(spec, request) {
  const baseline = { wasm: spec.wasm, simd: spec.simd ?? SIMD.simd128, note: null };
  if (request === SIMD.simd128 || baseline.simd === SIMD.relaxed) return baseline;
  if (!spec.relaxed) {
    return request === SIMD.relaxed ? { ...baseline, note: 'this build has no relaxed-SIMD module; using the simd128 one' } : baseline;
  }
  if (!hasRelaxedSimd()) {
    return request === SIMD.relaxed ? { ...baseline, note: 'this browser has no relaxed SIMD; using the simd128 module' } : baseline;
  }
  return { wasm: spec.relaxed, simd: SIMD.relaxed, note: null };
}

async function importGlue(url) {
  try {
    return await import(url);
  } catch (err) {
    throw loadError(url, err);
  }
}

/** A WebAssembly.Module from what the page gave: compiled already (the pool), bytes, base64 or a URL. */
async function compile(wasm) {
  if (wasm.module instanceof WebAssembly.Module) return wasm.module;
  if (wasm.base64 !== undefined) return WebAssembly.compile(decodeBase64(wasm.base64));
  if (wasm.bytes !== undefined) return WebAssembly.compile(wasm.bytes);
  let response;
  try {
    response = await fetch(wasm.url);
  } catch (err) {
    throw loadError(wasm.url, err);
  }
  if (!response.ok) throw loadError(wasm.url, new Error(`HTTP ${response.status}`));
  // Streaming compilation needs the wasm MIME type; a server without it still works, slower.
  if (/^application\/wasm\b/.test(response.headers.get('Content-Type') ?? '')) return WebAssembly.compileStreaming(response);
  return WebAssembly.compile(await response.arrayBuffer());
}

/**
 * A file of the app that could not be fetched. From another origin than the page (a wiki whose
 * file store is on another host) the usual cause is a missing CORS header, which the browser
 * reports only as a network error: say so, and what the server must send.
 */
function loadError(url, err) {
  const file = new URL(url, self.location.href);
  const page = pageOrigin();
  let message = `${file.pathname.split('/').pop()} could not be loaded from ${file.href} (${messageOf(err)})`;
  if (page && file.origin !== page) {
    message += `. It is on another origin than this page (${page}): that server must send the header Access-Control-Allow-Origin for the element's files (CORS), see "Embedding" in www/README.md`;
  }
  return new Error(message);
}

/** The page's origin as this worker sees it (a Blob-URL worker has its creator's), or null. */
function pageOrigin() {
  try {
    const origin = new URL(self.location.href).origin;
    return origin && origin !== 'null' ? origin : null;
  } catch {
    return null;
  }
}

/** Base64 to bytes; Uint8Array.fromBase64 where the browser has it. */
function decodeBase64(text) {
  if (typeof Uint8Array.fromBase64 === 'function') return Uint8Array.fromBase64(text);
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Random 80-bp regions (fixed seed) that the auto choice times both backends on. */
function probeSequences(n) {
  let x = 2022;
  const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
  return Array.from({ length: n }, () => Array.from({ length: 80 }, () => 'ACGT'[next() >>> 30]).join(''));
}

/**
 * Sequences per second of `model`: one small warm-up call (pipelines, buffers), then batches
 * that double from 8 to 128 sequences while a batch takes under 250 ms, until about a second
 * has passed (at least one batch: a slow software adapter is measured on 8 sequences).
 */
async function throughput(model, sequences) {
  await model.predict(sequences.slice(0, 2));
  let size = 8;
  let done = 0;
  const t0 = performance.now();
  for (;;) {
    const t = performance.now();
    await model.predict(sequences.slice(0, size));
    done += size;
    const now = performance.now();
    if (now - t0 > 1000) break;
    if (now - t < 250 && size < sequences.length) size *= 2;
  }
  return done / ((performance.now() - t0) / 1000);
}

/**
 * 'auto' on a WebGPU adapter: times the WebGPU model against the CPU module in this worker
 * (times the CPU workers the pool would run, which compute side by side) and keeps the faster.
 * The page keeps the measured choice per browser and adapter (`autoChoice`), so this runs once.
 */
async function probeAuto(ctx, key, poolSize) {
  const sequences = probeSequences(128);
  ctx.loading('timing WebGPU against the CPU (once per browser)');
  const webgpu = await throughput(state.model, sequences);
  const glue = await glueFor(MODULE.cpu);
  const cpuModel = await instantiate(glue, state.source, BACKEND.cpu);
  const cpu = await throughput(cpuModel, sequences);
  const round = (v) => Math.round(v * 10) / 10;
  const measured = { key, webgpuPerS: round(webgpu), cpuPerS: round(cpu), workers: poolSize, date: new Date().toISOString().slice(0, 10) };
  if (webgpu >= cpu * poolSize) {
    cpuModel.free?.();
    state.autoChoice = { ...measured, backend: BACKEND.webgpu };
    return;
  }
  // The CPU pool is faster: keep the CPU model, as a failed WebGPU load would.
  state.model.free?.();
  state.model = cpuModel;
  state.glue = glue;
  state.module = MODULE.cpu;
  state.backend = BACKEND.cpu;
  state.autoChoice = { ...measured, backend: BACKEND.cpu };
  state.note = autoNote(state.autoChoice);
}

/** Why 'auto' runs on the CPU after timing: the two rates. */
function autoNote(c) {
  return `auto: the CPU was faster when timed on ${c.date} (WebGPU ${c.webgpuPerS} sequences/s; CPU ${c.cpuPerS}/s per worker x ${c.workers} ${c.workers === 1 ? 'worker' : 'workers'})`;
}

/**
 * Picks the backend. 'auto' takes WebGPU only with a real (not fallback) adapter: the software
 * fallback (SwiftShader) runs this model 60-110x slower than the wasm CPU path. On a real
 * adapter it times WebGPU against the CPU pool on first use (`probe`), unless `memory` (the
 * page's record of an earlier timing on the same adapter) already says which was faster.
 * `probeFallback` times even a software adapter (the `auto-probe="always"` attribute; for
 * testing the timing where no GPU exists).
 * @returns {Promise<{backend: 'webgpu'|'cpu', reason?: string, adapter?: object, note?: string, probe?: boolean, key?: string, remembered?: object}>}
 */
async function chooseBackend(requested, memory = null, probeFallback = false) {
  if (!Object.values(BACKEND).includes(requested)) {
    throw new Error(`backend: '${requested}' is not one of auto, webgpu, cpu`);
  }
  if (requested === BACKEND.cpu) return { backend: BACKEND.cpu };
  if (!state.modules?.gpu) return cpuBecause(requested, state.gpuMissing ?? 'this build has no WebGPU module');
  const gpu = self.navigator?.gpu;
  if (!gpu) return cpuBecause(requested, 'this browser has no WebGPU');
  let adapter = null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (err) {
    return cpuBecause(requested, `WebGPU adapter request failed: ${messageOf(err)}`);
  }
  if (!adapter) return cpuBecause(requested, 'no WebGPU adapter');
  const info = adapter.info ?? {};
  const described = {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    description: info.description ?? '',
    isFallbackAdapter: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter),
  };
  if (requested !== BACKEND.auto) return { backend: BACKEND.webgpu, adapter: described };
  const key = [described.vendor, described.architecture, described.description, described.isFallbackAdapter ? 'fallback' : 'hardware'].join('|');
  if (memory?.key === key && (memory.backend === BACKEND.cpu || memory.backend === BACKEND.webgpu)) {
    return { backend: memory.backend, adapter: described, remembered: memory, note: memory.backend === BACKEND.cpu ? autoNote(memory) : null };
  }
  if (described.isFallbackAdapter && !probeFallback) {
    const name = [described.vendor, described.architecture].filter(Boolean).join(' ') || 'software';
    return {
      backend: BACKEND.cpu,
      adapter: described,
      note: `the only WebGPU adapter is a software fallback (${name}), slower than the CPU`,
    };
  }
  return { backend: BACKEND.webgpu, adapter: described, probe: true, key };
}

function cpuBecause(requested, reason) {
  // Asked for 'auto', ending on the CPU is expected, not a fallback worth a warning.
  return { backend: BACKEND.cpu, reason: requested === BACKEND.webgpu ? `${reason}; using the CPU` : null, note: reason };
}

/**
 * Loads a model on `backend` from that backend's module; if the WebGPU module or device fails,
 * loads it from the CPU module and says why.
 */
async function loadModel(source, backend, fallback, ctx = null) {
  const resolved = await resolveSource(source);
  const stage = (what) => ctx?.loading(what);
  let model;
  let kind = backend === BACKEND.webgpu ? MODULE.gpu : MODULE.cpu;
  let glue;
  try {
    stage(`loading the WebAssembly module (${kind === MODULE.gpu ? 'WebGPU' : 'CPU'})`);
    glue = await glueFor(kind);
    stage(`loading the model (${backend === BACKEND.webgpu ? 'WebGPU' : 'CPU'})`);
    model = await instantiate(glue, resolved, backend);
    state.fallback = fallback;
  } catch (err) {
    if (backend !== BACKEND.webgpu || !isBackendFailure(err)) throw err;
    const message = messageOf(err);
    const reason = /^the WebGPU module/.test(message) ? `${message}; using the CPU` : `WebGPU failed (${message}); using the CPU`;
    stage('loading the WebAssembly module (CPU)');
    kind = MODULE.cpu;
    glue = await glueFor(MODULE.cpu);
    stage('loading the model (CPU)');
    model = await instantiate(glue, resolved, BACKEND.cpu);
    backend = BACKEND.cpu;
    state.fallback = reason;
  }
  // Free the old model only once the new one works: a failed load keeps the old one usable.
  state.model?.free?.();
  state.model = model;
  state.glue = glue;
  state.module = kind;
  state.source = resolved;
  state.backend = model.backend ?? backend;
}

/** Fetches a model given by URL; other sources pass through. */
async function resolveSource(source) {
  if (source.kind !== SOURCE.url) return source;
  const manifestUrl = new URL(source.manifestUrl, self.location.href).href;
  const get = async (url) => {
    try {
      return await fetch(url);
    } catch (err) {
      throw new Error(`model: ${loadError(url, err).message}`);
    }
  };
  const response = await get(manifestUrl);
  if (!response.ok) throw new Error(`model: ${manifestUrl}: HTTP ${response.status}`);
  const manifest = await response.text();
  let file;
  try {
    file = JSON.parse(manifest)?.weights?.file;
  } catch (err) {
    throw new Error(`model: ${manifestUrl}: invalid JSON (${messageOf(err)})`);
  }
  if (!file) throw new Error(`model: ${manifestUrl} names no weights file (weights.file)`);
  const weightsUrl = new URL(file, manifestUrl).href;
  const weights = await get(weightsUrl);
  if (!weights.ok) throw new Error(`model: ${weightsUrl}: HTTP ${weights.status}`);
  return { kind: SOURCE.bytes, weights: new Uint8Array(await weights.arrayBuffer()), manifest, arch: null, name: manifestUrl };
}

function instantiate(glue, source, backend) {
  const { CamformerModel } = glue;
  if (source.kind === SOURCE.default) return CamformerModel.loadDefault(backend);
  if (source.kind === SOURCE.bytes) {
    const weights = source.weights instanceof Uint8Array ? source.weights : new Uint8Array(source.weights);
    return CamformerModel.load(weights, source.manifest || undefined, source.arch || undefined, backend);
  }
  throw new Error(`model: unknown source kind '${source.kind}'`);
}
