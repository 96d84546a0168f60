// Benchmark worker for the peer: the same Mini model (scripts/export_onnx.py) in ONNX Runtime
// Web (npm onnxruntime-web, served from node_modules/ by the static server: nothing from the
// internet), wasm execution provider (SIMD), one thread.
//   {id, type: 'run', config: {onnxUrl, sequences, ismSequence, reps, threads}} -> results
// Replies {id, result} or {id, error}; {progress: text} while running.
// Timings end after the output tensor's data has been read.

import { BATCH, MUTANTS, encode, ismBatch, messageOf, timed } from './common.js';

const DIST = new URL('../../node_modules/onnxruntime-web/dist/', import.meta.url).href;

const progress = (text) => self.postMessage({ progress: text });

async function run({ config }) {
  const response = await fetch(config.onnxUrl);
  if (!response.ok) {
    return { skipped: `${config.onnxUrl}: HTTP ${response.status} (run scripts/export_onnx.py first)` };
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  let sidecar = null;
  try {
    const r = await fetch(`${config.onnxUrl}.json`);
    if (r.ok) sidecar = await r.json();
  } catch {
    // informational only
  }

  const t0 = performance.now();
  const ort = await import(`${DIST}ort.wasm.min.mjs`);
  ort.env.wasm.wasmPaths = DIST;
  ort.env.wasm.numThreads = config.threads;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
  });
  const sessionMs = performance.now() - t0;
  const inputName = session.inputNames[0];
  const outputName = session.outputNames[0];
  const encoding = sidecar?.input?.encoding ?? 'one_hot_purine';

  const runBatch = async (constructs) => {
    const { data, dims } = encode(constructs, encoding);
    const out = await session.run({ [inputName]: new ort.Tensor('float32', data, dims) });
    const y = out[outputName];
    const values = y.data instanceof Float32Array ? y.data : await y.getData();
    if (values.length !== constructs.length) throw new Error(`ONNX Runtime returned ${values.length} values for ${constructs.length} sequences`);
    return values;
  };

  const result = {
    version: ort.env.versions?.web ?? ort.env.versions?.common ?? null,
    threads: ort.env.wasm.numThreads,
    cross_origin_isolated: self.crossOriginIsolated === true,
    session_create_ms: sessionMs,
    // Which runtime files were loaded (1.30 ships only SIMD builds: ort-wasm-simd-threaded.*).
    runtime_files: performance
      .getEntriesByType('resource')
      .map((e) => e.name.split('/').pop())
      .filter((name) => name.startsWith('ort')),
    onnx_bytes: bytes.length,
    onnx_checks: sidecar?.checks ?? null,
    onnx_weights_sha256: sidecar?.weights_sha256 ?? null,
    first_predictions: Array.from(await runBatch(config.sequences.slice(0, 8))),
    ism: {},
  };

  const batch = config.sequences.slice(0, config.batch ?? BATCH);
  progress(`ONNX Runtime Web: predict ${batch.length} sequences (${config.reps} runs after a warm-up)`);
  const p = await timed(() => runBatch(batch), { reps: config.reps });
  result.predict = { batch: batch.length, median_s: p.median_s, min_s: p.min_s, runs_s: p.runs_s, warmup_s: p.warmup_s, seq_per_s: batch.length / p.median_s };

  for (const positions of ['random_region', 'all_positions']) {
    const constructs = ismBatch(config.ismSequence, positions);
    progress(`ONNX Runtime Web: naive ISM, one batch of ${constructs.length} (${config.reps} runs after a warm-up)`);
    const r = await timed(() => runBatch(constructs), { reps: config.reps });
    result.ism[`naive_${positions}`] = { mutants: MUTANTS[positions], batch: constructs.length, median_s: r.median_s, min_s: r.min_s, runs_s: r.runs_s, warmup_s: r.warmup_s };
  }
  await session.release();
  return result;
}

self.onmessage = async (event) => {
  const msg = event.data ?? {};
  try {
    if (msg.type !== 'run') throw new Error(`unknown request '${msg.type}'`);
    self.postMessage({ id: msg.id, result: await run(msg) });
  } catch (err) {
    self.postMessage({ id: msg.id, error: messageOf(err), stack: err?.stack ?? null });
  }
};
