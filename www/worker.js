// Camformer Web worker: owns the wasm module and the model, and runs one job at a time.
//
// Protocol (see www/app/client.js for the page side):
//   request  {id, type, ...params}          type: a key of JOBS below
//            {type: 'cancel', target: id}   drops a queued job, or stops a running one at its
//                                           next checkpoint (between prediction chunks)
//   replies  {id, status: 'loading', stage}
//            {id, status: 'progress', ...}
//            {id, status: 'ready' | 'done', ...}   final: 'ready' after a model (re)load
//            {id, error, cancelled?, fatal?}       final
//            {id: null, status: 'backend', backend, fallback}   unsolicited: the backend changed
//
// Two wasm modules with the same JavaScript API: the CPU-only one (camformer.js +
// camformer_bg.wasm, small; every page loads it) and the WebGPU one (camformer-gpu.js +
// camformer-gpu_bg.wasm, ~3x larger), loaded only when the chosen backend is WebGPU. If the
// WebGPU module or device fails, the model is loaded from the CPU module and the reply says why.
// The init job names both: {modules: {cpu: {glueUrl, wasm}, gpu: {glueUrl, wasm} | null},
// gpuMissing: why there is no WebGPU module (the single-file build), or null}.
//
// The file has no static import/export so that it runs both as a module worker (www/ and the
// pkg/ element: the wasm-bindgen glue is import()ed from `glueUrl`) and as a classic worker made
// from a Blob URL (the single-file build, where scripts/bundle.mjs defines `self.camformerGlue`,
// the CPU module's glue, before this code, because a file:// page can neither fetch nor import()).

'use strict';

const state = {
  /** Where the two wasm modules are: {cpu: {glueUrl, wasm}, gpu: {glueUrl, wasm} | null}. */
  modules: null,
  /** Why there is no WebGPU module (the single-file build), or null. */
  gpuMissing: null,
  /** Promises of the instantiated glue modules, by kind ('cpu' | 'gpu'), loaded on first use. */
  glues: { cpu: null, gpu: null },
  /** The glue of the loaded model's module (exports parseRecords, CamformerModel, ...). */
  glue: null,
  /** Which module the model runs in: 'cpu' | 'gpu'. */
  module: null,
  /** Milliseconds the last module download + compile took. */
  wasmMs: 0,
  /** The loaded CamformerModel. */
  model: null,
  /** Where the model came from, to reload it on the CPU if WebGPU fails. */
  source: null,
  /** 'webgpu' | 'cpu' */
  backend: null,
  /** Why the backend is not the one asked for, or null. */
  fallback: null,
  /** The WebGPU adapter's description, when one was found. */
  adapter: null,
  /** Why the automatic choice is the CPU (informational), or null. */
  note: null,
  /** Set after a wasm trap: the instance may be corrupt, so every later job fails fast. */
  broken: null,
};

/** Thrown at a checkpoint of a cancelled job. */
class Cancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

/**
 * The job types. Each takes the request and a context (progress, loading, checkpoint,
 * transfer) and returns the fields of the final reply (status defaults to 'done').
 * A new wasm function is a new entry here; the page calls it with app.job(type, params) (a
 * panel) or element.request(type, params).
 */
const JOBS = {
  /**
   * Chooses the backend, loads its wasm module and a model: {backend, modules, gpuMissing,
   * model}. The WebGPU module is fetched only when WebGPU is chosen.
   */
  async init(job, ctx) {
    state.modules = job.modules ?? null;
    state.gpuMissing = job.gpuMissing ?? null;
    if (!state.modules?.cpu) throw new Error('init: no CPU wasm module given');
    ctx.loading('choosing a backend');
    const choice = await chooseBackend(job.backend ?? 'auto');
    state.adapter = choice.adapter ?? null;
    state.note = choice.note ?? null;
    const t1 = performance.now();
    state.wasmMs = 0;
    await loadModel(job.model ?? { kind: 'default' }, choice.backend, choice.reason ?? null, ctx);
    const wasmMs = state.wasmMs;
    return { status: 'ready', ...modelInfo(), timings: { wasmMs, modelMs: performance.now() - t1 - wasmMs } };
  },

  /** Replaces the model, keeping the backend: {model: {kind: 'default'} | {kind: 'bytes', weights, manifest, arch} | {kind: 'url', manifestUrl}}. */
  async load(job, ctx) {
    requireWasm();
    ctx.loading('loading the model');
    const t0 = performance.now();
    await loadModel(job.model, state.backend ?? 'cpu', state.fallback, ctx);
    return { status: 'ready', ...modelInfo(), timings: { modelMs: performance.now() - t0 } };
  },

  /** The current model's description. */
  async info() {
    requireModel();
    return modelInfo();
  },

  /** Parses FASTA / one-per-line / TSV text with the CLI's rules: {text} -> {records, rejected}. */
  async parse(job) {
    requireWasm();
    return { result: state.glue.parseRecords(job.text) };
  },

  /** Predicts {sequences} in chunks, reporting progress and stopping when cancelled. */
  async predict(job, ctx) {
    requireModel();
    const sequences = job.sequences;
    const total = sequences.length;
    const out = new Float32Array(total);
    const t0 = performance.now();
    // Chunks are sized to take ~0.3 s, so progress is smooth and cancellation prompt, while
    // batches stay large enough for efficient matrix products.
    let chunk = job.chunkSize ?? 8;
    for (let done = 0; done < total; ) {
      await ctx.checkpoint();
      const part = sequences.slice(done, done + chunk);
      const tc = performance.now();
      const values = await withFallback(() => state.model.predict(part), done);
      out.set(values, done);
      done += part.length;
      const ms = performance.now() - tc;
      if (!job.chunkSize) chunk = Math.max(8, Math.min(1024, Math.round((chunk * 300) / Math.max(ms, 1))));
      ctx.progress({ done, total, elapsedMs: performance.now() - t0 });
    }
    ctx.transfer(out.buffer);
    return { result: out, elapsedMs: performance.now() - t0, backend: state.backend };
  },

  /** In-silico mutagenesis of {sequence, allPositions, method}. */
  async ism(job, ctx) {
    requireModel();
    await ctx.checkpoint();
    const t0 = performance.now();
    const result = await withFallback(() =>
      state.model.ism(job.sequence, Boolean(job.allPositions), job.method ?? undefined),
    );
    return { result, elapsedMs: performance.now() - t0, backend: state.backend };
  },

  /**
   * Variant effects: {reference, text} (one variant set per line: `pos ref alt` triples, or two
   * sequences) -> [{line, label, reference, alternative, delta}]; a bad line is an error naming it.
   */
  async variants(job, ctx) {
    requireModel();
    await ctx.checkpoint();
    const t0 = performance.now();
    const result = await withFallback(() => state.model.variants(String(job.reference ?? ''), String(job.text ?? '')));
    return { result, elapsedMs: performance.now() - t0, backend: state.backend };
  },

  /** Mutational robustness of {sequence, threshold, allPositions} from its fast ISM. */
  async robustness(job, ctx) {
    requireModel();
    await ctx.checkpoint();
    const t0 = performance.now();
    const threshold = Number(job.threshold ?? 0.1);
    const result = await withFallback(() => state.model.robustness(String(job.sequence ?? ''), threshold, Boolean(job.allPositions)));
    return { result, elapsedMs: performance.now() - t0, backend: state.backend };
  },

  /**
   * Sequence design: {sequence, goal: 'maximize'|'minimize', maxEdits, beamWidth, frozen: 1-based
   * random-region positions}. One designStep per ISM round; progress after each step
   * ({done: steps, total: maxEdits, unit: 'steps', design: the state so far}); a cancel stops it
   * between steps.
   */
  async design(job, ctx) {
    requireModel();
    const t0 = performance.now();
    const frozen = Uint32Array.from(job.frozen ?? [], Number);
    const run = async () => {
      let design = await state.model.designStart(
        String(job.sequence ?? ''),
        String(job.goal ?? 'maximize'),
        Number(job.maxEdits ?? 10),
        Number(job.beamWidth ?? 1),
        frozen,
      );
      const report = () =>
        ctx.progress({ done: design.steps, total: design.maxEdits, unit: 'steps', elapsedMs: performance.now() - t0, design });
      report();
      while (!design.finished) {
        await ctx.checkpoint();
        design = await state.model.designStep();
        report();
      }
      return design;
    };
    const result = await withFallback(run);
    return { result, elapsedMs: performance.now() - t0, backend: state.backend };
  },
};

/**
 * The instantiated glue of one module ('cpu' or 'gpu'), loaded (fetched, compiled) on first use.
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
    throw new Error(kind === 'gpu' ? state.gpuMissing ?? 'this build has no WebGPU module' : 'no CPU wasm module given');
  }
  const t0 = performance.now();
  try {
    // The single-file build defines the CPU glue as a classic script before this code.
    const glue = kind === 'cpu' && self.camformerGlue ? self.camformerGlue : await import(spec.glueUrl);
    const wasm = spec.wasm ?? {};
    if (wasm.base64 !== undefined) {
      glue.initSync({ module: decodeBase64(wasm.base64) });
    } else if (wasm.bytes !== undefined) {
      glue.initSync({ module: wasm.bytes });
    } else {
      await glue.default({ module_or_path: wasm.url });
    }
    return glue;
  } catch (err) {
    throw kind === 'gpu' ? new Error(`the WebGPU module did not load (${messageOf(err)})`) : err;
  } finally {
    state.wasmMs += performance.now() - t0;
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

/**
 * Picks the backend. 'auto' takes WebGPU only with a real (not fallback) adapter: the software
 * fallback (SwiftShader) runs this model 60-110x slower than the wasm CPU path.
 * @returns {Promise<{backend: 'webgpu'|'cpu', reason?: string, adapter?: object}>}
 */
async function chooseBackend(requested) {
  if (requested !== 'auto' && requested !== 'webgpu' && requested !== 'cpu') {
    throw new Error(`backend: '${requested}' is not one of auto, webgpu, cpu`);
  }
  if (requested === 'cpu') return { backend: 'cpu' };
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
  if (requested === 'auto' && described.isFallbackAdapter) {
    const name = [described.vendor, described.architecture].filter(Boolean).join(' ') || 'software';
    return {
      backend: 'cpu',
      adapter: described,
      note: `the only WebGPU adapter is a software fallback (${name}), slower than the CPU`,
    };
  }
  return { backend: 'webgpu', adapter: described };
}

function cpuBecause(requested, reason) {
  // Asked for 'auto', ending on the CPU is expected, not a fallback worth a warning.
  return { backend: 'cpu', reason: requested === 'webgpu' ? `${reason}; using the CPU` : null, note: reason };
}

/**
 * Loads a model on `backend` from that backend's module; if the WebGPU module or device fails,
 * loads it from the CPU module and says why.
 */
async function loadModel(source, backend, fallback, ctx = null) {
  const resolved = await resolveSource(source);
  const stage = (what) => ctx?.loading(what);
  let model;
  let kind = backend === 'webgpu' ? 'gpu' : 'cpu';
  let glue;
  try {
    stage(`loading the WebAssembly module (${kind === 'gpu' ? 'WebGPU' : 'CPU'})`);
    glue = await glueFor(kind);
    stage(`loading the model (${backend === 'webgpu' ? 'WebGPU' : 'CPU'})`);
    model = await instantiate(glue, resolved, backend);
    state.fallback = fallback;
  } catch (err) {
    if (backend !== 'webgpu' || !isBackendFailure(err)) throw err;
    const message = messageOf(err);
    const reason = /^the WebGPU module/.test(message) ? `${message}; using the CPU` : `WebGPU failed (${message}); using the CPU`;
    stage('loading the WebAssembly module (CPU)');
    kind = 'cpu';
    glue = await glueFor('cpu');
    stage('loading the model (CPU)');
    model = await instantiate(glue, resolved, 'cpu');
    backend = 'cpu';
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
  if (source.kind !== 'url') return source;
  const manifestUrl = new URL(source.manifestUrl, self.location.href).href;
  const response = await fetch(manifestUrl);
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
  const weights = await fetch(weightsUrl);
  if (!weights.ok) throw new Error(`model: ${weightsUrl}: HTTP ${weights.status}`);
  return { kind: 'bytes', weights: new Uint8Array(await weights.arrayBuffer()), manifest, arch: null, name: manifestUrl };
}

function instantiate(glue, source, backend) {
  const { CamformerModel } = glue;
  if (source.kind === 'default') return CamformerModel.loadDefault(backend);
  if (source.kind === 'bytes') {
    const weights = source.weights instanceof Uint8Array ? source.weights : new Uint8Array(source.weights);
    return CamformerModel.load(weights, source.manifest || undefined, source.arch || undefined, backend);
  }
  throw new Error(`model: unknown source kind '${source.kind}'`);
}

/**
 * Runs a model call; on a WebGPU failure that is not about the input, reloads the model on the
 * CPU, announces it and retries once. `offset` renumbers "sequence N" errors of a chunk.
 */
async function withFallback(call, offset = 0) {
  try {
    return await call();
  } catch (err) {
    if (err instanceof Cancelled) throw err;
    if (state.backend === 'webgpu' && isBackendFailure(err)) {
      const reason = `WebGPU failed (${messageOf(err)}); using the CPU`;
      await loadModel(state.source, 'cpu', reason);
      self.postMessage({ id: null, status: 'backend', ...modelInfo() });
      return call();
    }
    throw renumber(err, offset);
  }
}

/**
 * Errors about the input (a record, a sequence, a variant line, design settings) are not the
 * backend's fault; the wasm API's messages start with what they are about.
 */
const INPUT_ERROR =
  /^(sequence|record|weights|manifest|architecture|model|reference sequence|variants line|frozen position|the robustness threshold|the beam width|design needs|unknown design goal|no design search)\b/i;

function isBackendFailure(err) {
  return !(err instanceof Cancelled) && !INPUT_ERROR.test(messageOf(err));
}

/** The wasm numbers sequences within the list it got; make that the position in the job. */
function renumber(err, offset) {
  if (!offset) return err;
  const message = messageOf(err).replace(/^sequence (\d+):/, (_, n) => `sequence ${Number(n) + offset}:`);
  return new Error(message);
}

function modelInfo() {
  const model = state.model;
  return {
    backend: state.backend,
    module: state.module,
    fallback: state.fallback,
    adapter: state.adapter,
    note: state.note,
    manifest: model.manifest,
    parameterCount: model.parameterCount,
    source: state.source?.kind === 'default' ? 'default' : state.source?.name ?? 'user weights',
  };
}

function requireWasm() {
  if (!state.glue) throw new Error('the WebAssembly module is not loaded yet');
}

function requireModel() {
  requireWasm();
  if (!state.model) throw new Error('no model is loaded');
}

function messageOf(err) {
  return err instanceof Error ? err.message : String(err);
}

// ---- the job loop: one job at a time, in arrival order ----

const queue = [];
let running = null;
const cancelled = new Set();

function cancel(target) {
  const i = queue.findIndex((job) => job.id === target);
  if (i >= 0) {
    queue.splice(i, 1);
    self.postMessage({ id: target, error: 'cancelled', cancelled: true });
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
    loading: (stage) => self.postMessage({ id: job.id, status: 'loading', stage }),
    progress: (data) => self.postMessage({ id: job.id, status: 'progress', ...data }),
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
      // reports cancellation, so the page never shows a stale result.
      if (cancelled.has(job.id)) throw new Cancelled();
      self.postMessage({ id: job.id, status: 'done', ...reply }, ctx.transferList);
    } catch (err) {
      const fatal = err instanceof WebAssembly.RuntimeError;
      if (fatal) state.broken = messageOf(err);
      const reply = { id: job.id, error: messageOf(err) };
      if (err instanceof Cancelled) reply.cancelled = true;
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
  if (message.type === 'cancel') {
    cancel(message.target);
    return;
  }
  queue.push(message);
  pump();
};
