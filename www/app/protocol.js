// The worker message protocol: the one description that the page side (app/client.js, one
// worker; app/pool.js, several, used through App.job and element.request) and the worker
// (worker.js, its jobs in app/worker/) both follow. Both import the names below, so a message
// kind is spelled once; a new job is a JOB entry, its row in JOB's table, and its handler in
// worker.js's JOBS table.
//
// The page runs a pool of these workers (app/pool.js: one per core on the CPU, at most 4 by
// default; one on WebGPU), each with its own wasm instance and model; the pool speaks this same
// protocol to the app and splits some jobs into several requests (see there). What each worker
// gets is one of the requests below.
//
// Messages (structured clone; Transferables where said):
//
//   page -> worker
//     request   {id, type: JOB.*, ...fields}     one job; ids are the page's, increasing
//     cancel    {type: CANCEL, target: id}       drops a queued job, or stops a running one at
//                                                its next checkpoint (between prediction chunks,
//                                                design steps, background chunks)
//   worker -> page, about request `id` (jobs run one at a time, in arrival order)
//     loading   {id, status: STATUS.loading, stage}                       0..n, what it is doing
//     progress  {id, status: STATUS.progress, done, total, unit?, elapsedMs, ...}   0..n
//     final     {id, status: STATUS.done | STATUS.ready, ...reply}        exactly one final
//     error     {id, error: message, cancelled?: true, partial?, fatal?: true}  final, instead of one
//   worker -> page, unsolicited
//     backend   {id: null, status: STATUS.backend, ...ModelInfo}  the backend changed on its own
//                                                                 (WebGPU failed: now the CPU)
//
// `cancelled`: the job was cancelled (the page rejects with a CancelledError). `partial`, with
// it: what the job had made when it stopped, `{result, done}` (predict: the first `done`
// predictions; motifPair / motifMatrix: the summaries over the first `done` backgrounds; a job
// that finished although cancelled: its whole result), which the pool keeps. `fatal`: a wasm
// trap; the worker refuses every later job, so the page restarts it. `unit` of progress is
// UNIT.sequences unless said (UNIT.steps for design, UNIT.backgrounds for motif pairs and
// matrices). A final reply of a job that runs the model carries `elapsedMs` (milliseconds in the
// worker) and `backend` (BACKEND.webgpu | BACKEND.cpu).

/**
 * Where the worker gets one wasm module (assets.js makes these).
 * @typedef {object} WasmModule
 * @property {string|null} glueUrl absolute URL of the wasm-bindgen glue (null: defined in the worker)
 * @property {{url?: string, base64?: string, bytes?: Uint8Array, module?: WebAssembly.Module}} wasm
 * @property {{url?: string}|null} [relaxed] the same module built with relaxed SIMD (same glue),
 *   loaded instead of `wasm` where the engine validates relaxed SIMD (CPU module only)
 * @property {'simd128'|'relaxed'} [simd] which build `wasm` is (default simd128; a compiled
 *   module handed to the pool's other workers says which it is)
 */

/**
 * The model to load: the built-in one, bytes the page has, or a manifest URL (its weights file
 * beside it).
 * @typedef {{kind: 'default'} | {kind: 'bytes', weights: ArrayBuffer|Uint8Array, manifest: string|null, arch: string|null, name?: string} | {kind: 'url', manifestUrl: string}} ModelSource
 */

/**
 * What the worker says about the loaded model (final replies of init / load / info, and the
 * unsolicited backend notice).
 * @typedef {object} ModelInfo
 * @property {'webgpu'|'cpu'} backend
 * @property {'cpu'|'gpu'} module which wasm module runs the model (camformer.js or camformer-gpu.js)
 * @property {string|null} fallback why the backend differs from the one asked for
 * @property {object|null} adapter the WebGPU adapter found, if any
 * @property {string|null} note why the automatic choice is the CPU
 * @property {'simd128'|'relaxed'|null} simd the CPU module's build: relaxed SIMD (fused
 *   multiply-add) or simd128; null when the model runs in the WebGPU module
 * @property {string|null} simdNote why the CPU module is not the build asked for, or null
 * @property {object} manifest
 * @property {number} parameterCount
 * @property {string} source 'default', the manifest URL, or the user's weights' name
 * @property {number|null} memoryBytes the worker's wasm linear memory after loading the model
 *   (the pool's replies: one number per worker, and `workers`, how many)
 */

/**
 * A request: `{id, type, ...fields}` (fields: the table at JOB).
 * @typedef {{id: number, type: string} & Record<string, any>} Request
 */

/**
 * A reply to request `id`: loading or progress while it runs, then one final reply or error.
 * @typedef {{id: number, status: 'loading', stage: string}
 *   | {id: number, status: 'progress', done: number, total: number, unit?: string, elapsedMs: number}
 *   | ({id: number, status: 'done'|'ready'} & Record<string, any>)
 *   | {id: number, error: string, cancelled?: true, fatal?: true}
 *   | ({id: null, status: 'backend'} & ModelInfo)} Reply
 */

/**
 * The job types: the `type` of a request. Request fields -> final reply fields (`result`
 * unless said). The model's wasm API (pkg/camformer.js) documents the result objects.
 *
 * | type        | request fields                                          | final reply                                  |
 * | ----------- | ------------------------------------------------------- | -------------------------------------------- |
 * | init        | backend: BACKEND.*, modules: {cpu: WasmModule, gpu:     | status 'ready', ...ModelInfo, timings:       |
 * |             |   WasmModule|null} (assets.js), gpuMissing: string|null,|   {wasmMs, modelMs}; for the pool:           |
 * |             |   model: ModelSource, simd?: SIMD.* (the CPU module's   |   wasmModule (the compiled CPU module, a     |
 * |             |   build; default auto)                                  |   WebAssembly.Module) and wasmSimd (its      |
 * |             |                                                         |   build), resolvedModel (a URL model's       |
 * |             |                                                         |   fetched bytes)                             |
 * | load        | model: ModelSource (the backend stays)                  | status 'ready', ...ModelInfo, timings        |
 * | info        | -                                                       | ...ModelInfo                                 |
 * | parse       | text (FASTA / one per line / TSV or CSV table)          | {records, rejected, layout} (parseRecords)   |
 * | predict     | sequences: string[], chunkSize? (default: sized ~0.3 s),| Float32Array (transferred), in order;        |
 * |             |   offset? (where they start in the caller's list: error | done; progress {done, total} in sequences    |
 * |             |   messages number sequences from it)                    |                                              |
 * | ism         | sequence, allPositions, method? ('fast'|'naive'),       | {construct, reference, start, width, matrix} |
 * |             |   first?, count? (0-based construct positions: a share) |   (the share's columns with first/count)     |
 * | robustness  | sequence, threshold (0.1), allPositions                 | {reference, mutants, threshold, ...}         |
 * | variants    | reference, text (one variant set per line)              | {effects: [{line, label, reference,          |
 * |             |                                                         |   alternative, delta, flankEdit}], rejected: |
 * |             |                                                         |   [{line, text, message}]}                   |
 * | design      | sequence, goal ('maximize'|'minimize'), maxEdits,       | {finished, steps, maxEdits, trajectory};     |
 * |             |   beamWidth, frozen: random-region positions            |   progress {done, total, unit: steps, design}|
 * | motifList   | motifs: MEME text | null (null: the shipped set)        | [{index, id, altId, width, consensus}]       |
 * | scan        | sequence, motifs, pValue, background?                   | [{motif, motifId, altId, start, end, strand, |
 * |             |                                                         |   score, pValue, matched}]                   |
 * | motifInsert | sequence, motif, site|null, strand, position (1-80),    | {reference, effects}                         |
 * |             |   motifs                                                |                                              |
 * | motifAblate | sequence, position, length, replacement|null, seed      | {reference, effects}                         |
 * | motifTile   | sequence, motif, site|null, motifs                      | {site, reference, points}                    |
 * | motifPair   | a, b, backgrounds: string[]|null, n, seed, first? (the  | {a, b, none, with_a, with_b, with_ab,        |
 * |             |   first random background's index in the seed's stream),|   interaction}; also `backgrounds`:          |
 * |             |   motifs                                                |   'given'|'random', done; progress in        |
 * |             |                                                         |   backgrounds                                |
 * | motifMatrix | motifIds: string[], backgrounds, n, seed, motifs        | {sites, pairs: [[pair]]}; as motifPair       |
 * | attribute   | sequence, method ('gradcam'|'grad-x-input'), layer|null | {method, channels, prediction, values,       |
 * |             |                                                         |   perPosition, activation, scale, construct} |
 * | dream       | predictions, measured: File|string, pairs: {subset:     | {alignment, predictions, measured, public,   |
 * |             |   File|string}, pairRule|null (files read in the worker)|   private, published}; loading stages        |
 * | dreamPredicted | indices: number[] (DREAM test indices), predictions: | {predicted, publicRows, complete,         |
 * |             |   number[] (the app's, in the same order)               |   pearsonScore, spearmanScore, subsets}      |
 *
 * A `sequence` is an 80-bp random region or a 110-bp construct (107-113 bp accepted); positions
 * are 1-based. Progress replies are marked above; the other jobs send none.
 *
 * Through the pool only (app/pool.js), never sent to a worker as such: ism, robustness and
 * attribute take `sequences: string[]` instead of `sequence` (one request per sequence; the
 * result is the list of results, in order), and the final replies of the jobs the pool splits
 * (predict, those lists, motifPair, motifMatrix) carry `workers`, how many took part.
 */
export const JOB = Object.freeze({
  // model
  init: 'init',
  load: 'load',
  info: 'info',
  // predict
  parse: 'parse',
  predict: 'predict',
  // ism
  ism: 'ism',
  robustness: 'robustness',
  // variants
  variants: 'variants',
  // design
  design: 'design',
  // motifs
  motifList: 'motifList',
  scan: 'scan',
  motifInsert: 'motifInsert',
  motifAblate: 'motifAblate',
  motifTile: 'motifTile',
  motifPair: 'motifPair',
  motifMatrix: 'motifMatrix',
  // attributions
  attribute: 'attribute',
  // dream
  dream: 'dream',
  dreamPredicted: 'dreamPredicted',
});

/** The `type` of the one control message, `{type: CANCEL, target: id}`; not a job. */
export const CANCEL = 'cancel';

/** The `status` of the worker's replies. */
export const STATUS = Object.freeze({
  /** Still running: `stage` says what it is doing. */
  loading: 'loading',
  /** Still running: `done` of `total` (in `unit`). */
  progress: 'progress',
  /** Final: the job's reply. */
  done: 'done',
  /** Final: a model was (re)loaded (init, load). */
  ready: 'ready',
  /** Unsolicited (`id: null`): the backend changed; the rest is ModelInfo. */
  backend: 'backend',
});

/** The `unit` of progress replies. */
export const UNIT = Object.freeze({ sequences: 'sequences', steps: 'steps', backgrounds: 'backgrounds', positions: 'positions' });

/** The `kind` of a ModelSource. */
export const SOURCE = Object.freeze({ default: 'default', bytes: 'bytes', url: 'url' });

/** Backends: asked for (init's `backend`: all three) and in use (`backend` of replies: webgpu | cpu). */
export const BACKEND = Object.freeze({ auto: 'auto', webgpu: 'webgpu', cpu: 'cpu' });

/**
 * The CPU module's builds: init's `simd` (asked for: all three; default auto, the relaxed one
 * where the browser has relaxed SIMD) and ModelInfo's `simd` (in use: relaxed | simd128).
 */
export const SIMD = Object.freeze({ auto: 'auto', relaxed: 'relaxed', simd128: 'simd128' });

/** The wasm modules: keys of init's `modules`, and ModelInfo's `module` (the one running the model). */
export const MODULE = Object.freeze({ cpu: 'cpu', gpu: 'gpu' });

/** The `error` text of a cancelled job's reply (with `cancelled: true`). */
export const CANCELLED = 'cancelled';
