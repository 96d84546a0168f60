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

  // ---- motifs (free functions: the shipped JASPAR set when `motifs` is null) ----

  /** The motifs of a MEME text: {motifs} -> [{index, id, altId, width, consensus}]. */
  async motifList(job) {
    requireWasm();
    return { result: state.glue.motifList(job.motifs || null) };
  },

  /** FIMO-style scan of {sequence, motifs, pValue, background} -> [{motif, motifId, altId, start, end, strand, score, pValue, matched}]. */
  async scan(job) {
    requireWasm();
    return { result: state.glue.scanMotifs(String(job.sequence ?? ''), job.motifs || null, job.pValue ?? null, job.background || null) };
  },

  /** A motif site inserted: {sequence, motif, site, strand, position (1-80), motifs} -> {reference, effects}. */
  async motifInsert(job, ctx) {
    requireModel();
    await ctx.checkpoint();
    const t0 = performance.now();
    const result = await withFallback(() =>
      state.model.motifInsert(String(job.sequence ?? ''), String(job.motif ?? ''), job.site || null, job.strand ?? '+', Number(job.position), job.motifs || null),
    );
    return { result, elapsedMs: performance.now() - t0, backend: state.backend };
  },

  /** A stretch ablated: {sequence, position, length, replacement (else shuffled), seed} -> {reference, effects}. */
  async motifAblate(job, ctx) {
    requireModel();
    await ctx.checkpoint();
    const t0 = performance.now();
    const result = await withFallback(() =>
      state.model.motifAblate(String(job.sequence ?? ''), Number(job.position), Number(job.length), job.replacement || null, BigInt(job.seed ?? 0)),
    );
    return { result, elapsedMs: performance.now() - t0, backend: state.backend };
  },

  /** A motif tiled across the random region on both strands: {sequence, motif, site, motifs} -> {site, reference, points}. */
  async motifTile(job, ctx) {
    requireModel();
    await ctx.checkpoint();
    const t0 = performance.now();
    const result = await withFallback(() => state.model.motifTile(String(job.sequence ?? ''), String(job.motif ?? ''), job.site || null, job.motifs || null));
    return { result, elapsedMs: performance.now() - t0, backend: state.backend };
  },

  /**
   * Motif pair interaction: {a, b, backgrounds (sequences) | null, n, seed, motifs} ->
   * {a, b, none, with_a, with_b, with_ab, interaction}, each {mean, se, n}. Without backgrounds,
   * n random 80-bp regions drawn as the wasm draws them (SplitMix64 from seed). Run over chunks
   * of backgrounds (progress, cancel between chunks); the chunks' summaries are merged exactly.
   */
  async motifPair(job, ctx) {
    requireModel();
    const a = String(job.a ?? '');
    const b = String(job.b ?? '');
    const run = (part) => state.model.motifPair(a, b, part, part.length, 0n, job.motifs || null);
    return overBackgrounds(job, ctx, 4, run, mergePair);
  },

  /** The pair interaction of every ordered pair of {motifIds}: {sites, pairs: [[pair]]}; as motifPair. */
  async motifMatrix(job, ctx) {
    requireModel();
    const ids = (job.motifIds ?? []).map(String);
    const k = ids.length;
    const run = (part) => state.model.motifMatrix(ids, part, part.length, 0n, job.motifs || null);
    const merge = (x, y) => ({ sites: x.sites, pairs: x.pairs.map((row, i) => row.map((p, j) => mergePair(p, y.pairs[i][j]))) });
    return overBackgrounds(job, ctx, 1 + 2 * k + k * k, run, merge);
  },

  /** Attributions of {sequence, method: 'gradcam'|'grad-x-input', layer} (CamformerModel.attribute, plus `construct`). */
  async attribute(job, ctx) {
    requireModel();
    await ctx.checkpoint();
    const t0 = performance.now();
    const layer = job.layer === null || job.layer === undefined || job.layer === '' ? null : Number(job.layer);
    const sequence = String(job.sequence ?? '');
    const result = await withFallback(() => state.model.attribute(sequence, String(job.method ?? 'gradcam'), layer));
    // The 110-bp construct the values are for (its reference bases), as parseRecords makes it.
    result.construct = state.glue.parseRecords(sequence.trim()).records[0]?.construct ?? null;
    return { result, elapsedMs: performance.now() - t0, backend: state.backend };
  },

  /**
   * The official DREAM score: {predictions, measured: File | string, pairs: {subset: File |
   * string}, pairRule}. Files are read here (File.text()), off the page's main thread.
   */
  async dream(job, ctx) {
    requireWasm();
    const t0 = performance.now();
    const read = async (what, f) => {
      if (typeof f === 'string' || f === null || f === undefined) return f ?? '';
      ctx.loading(`reading ${what} (${f.name}, ${(f.size / 1e6).toFixed(1)} MB)`);
      return f.text();
    };
    const predictions = await read('the predictions', job.predictions);
    const measured = await read('the measured values', job.measured);
    let pairs = null;
    for (const [subset, f] of Object.entries(job.pairs ?? {})) {
      if (!f) continue;
      pairs ??= {};
      pairs[subset] = await read(`the ${subset} pairs`, f);
    }
    await ctx.checkpoint();
    ctx.loading('scoring');
    const result = state.glue.dreamScore(predictions, measured, pairs, job.pairRule || null);
    return { result, elapsedMs: performance.now() - t0 };
  },
};

/** SplitMix64 random 80-bp regions, base for base as the wasm's `random_backgrounds(n, seed)`. */
function randomRegions(n, seed) {
  const mask = (1n << 64n) - 1n;
  let s = BigInt.asUintN(64, BigInt(seed));
  const out = [];
  for (let i = 0; i < n; i++) {
    let region = '';
    for (let k = 0; k < 80; k++) {
      s = (s + 0x9e3779b97f4a7c15n) & mask;
      let z = s;
      z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & mask;
      z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & mask;
      region += 'ACGT'[Number((z ^ (z >> 31n)) >> 62n)];
    }
    out.push(region);
  }
  return out;
}

/** Two {mean, se, n} summaries of disjoint samples as one (se: sample sd (n - 1) / sqrt(n)). */
function mergeSummary(x, y) {
  const n = x.n + y.n;
  const m2 = (s) => (s.n > 1 ? s.se * s.se * s.n * (s.n - 1) : 0);
  const d = y.mean - x.mean;
  const sum2 = m2(x) + m2(y) + (d * d * x.n * y.n) / n;
  return { mean: x.mean + (d * y.n) / n, se: n > 1 ? Math.sqrt(sum2 / (n - 1) / n) : NaN, n };
}

function mergePair(x, y) {
  const out = { ...x };
  for (const key of ['none', 'with_a', 'with_b', 'with_ab', 'interaction']) out[key] = mergeSummary(x[key], y[key]);
  return out;
}

/**
 * Runs `run(backgrounds)` over chunks of the job's backgrounds (given, or `n` random ones from
 * `seed`), sized to ~0.3 s (`perBackground` predictions each), merging the results.
 */
async function overBackgrounds(job, ctx, perBackground, run, merge) {
  const given = (job.backgrounds ?? []).map(String);
  const n = Number(job.n ?? 0);
  if (!given.length && !(Number.isInteger(n) && n > 0)) throw new Error('give backgrounds or a number of random ones (> 0)');
  const backgrounds = given.length ? given : randomRegions(n, job.seed ?? 0);
  const total = backgrounds.length;
  const t0 = performance.now();
  let chunk = Math.max(2, Math.ceil(64 / perBackground));
  let result = null;
  for (let done = 0; done < total; ) {
    await ctx.checkpoint();
    // No chunk of one background at the end: its standard error is undefined.
    const size = total - done - chunk === 1 ? chunk + 1 : chunk;
    const part = backgrounds.slice(done, done + size);
    const tc = performance.now();
    const r = await withFallback(() => run(part), done);
    result = result ? merge(result, r) : r;
    done += part.length;
    chunk = Math.max(2, Math.min(2048, Math.round((part.length * 300) / Math.max(performance.now() - tc, 1))));
    ctx.progress({ done, total, unit: 'backgrounds', elapsedMs: performance.now() - t0 });
  }
  return { result, backgrounds: given.length ? 'given' : 'random', elapsedMs: performance.now() - t0, backend: state.backend };
}

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
  /^(sequence|record|weights|manifest|architecture|model|reference sequence|variants line|frozen position|the robustness threshold|the beam width|design needs|unknown design goal|no design search|no motif|motif|site|sites overlap|a \d+-bp site|a pair|give backgrounds|replacement|the replacement|the shuffled stretch|unknown strand|invalid base|grad-cam layer|unknown attribution method)\b/i;

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
