// Where the app finds its worker, wasm modules and styles when it runs from the www/ sources
// (served over http: `node scripts/serve.mjs`, then /www/). scripts/bundle.mjs replaces this
// module: the built element (pkg/camformer-predictor.js) makes the worker from an inlined
// source and finds both wasm modules beside itself; the single-file app (pkg/camformer.html)
// inlines the glue, the CPU module (base64) and the styles, and has no WebGPU module.

/** @typedef {import('./protocol.js').WasmModule} WasmModule where the worker gets one wasm module */

/**
 * @typedef {object} Assets
 * @property {string} mode 'source' | 'element' | 'single-file'
 * @property {() => Promise<Worker>} createWorker a new worker running www/worker.js (the
 *   protocol: protocol.js); the pool (pool.js) calls it once per worker
 * @property {() => {cpu: WasmModule, gpu: WasmModule|null}} modules the CPU-only module (always
 *   loaded; its relaxed-SIMD build instead of the simd128 one where the browser has relaxed
 *   SIMD) and the WebGPU one (loaded only when WebGPU is chosen; null if this build has none)
 * @property {string|null} gpuMissing why this build has no WebGPU module, shown with the backend
 * @property {() => Promise<string>} css the element's stylesheet text
 */

const pkg = (file) => new URL(`../../pkg/${file}`, import.meta.url).href;
let workerUrl = null;

/** @type {Assets} */
export const assets = {
  mode: 'source',
  createWorker: async () => {
    // A worker from a Blob URL inherits the page's Content-Security-Policy (one loaded from a
    // URL would get only its own response's), so the privacy policy binds the worker too. The
    // Blob only imports worker.js by its absolute URL: relative imports cannot be resolved
    // against a blob: URL, and this way worker.js and its modules (protocol.js, worker/) load
    // as ordinary module scripts, under that inherited policy. One Blob URL serves every
    // worker of the pool.
    workerUrl ??= URL.createObjectURL(new Blob([`import ${JSON.stringify(new URL('../worker.js', import.meta.url).href)};\n`], { type: 'text/javascript' }));
    return new Worker(workerUrl, { type: 'module', name: 'camformer' });
  },
  modules: () => ({
    cpu: { glueUrl: pkg('camformer.js'), wasm: { url: pkg('camformer_bg.wasm') }, relaxed: { url: pkg('camformer-relaxed_bg.wasm') } },
    gpu: { glueUrl: pkg('camformer-gpu.js'), wasm: { url: pkg('camformer-gpu_bg.wasm') } },
  }),
  gpuMissing: null,
  css: async () => {
    const response = await fetch(new URL('../style.css', import.meta.url));
    if (!response.ok) throw new Error(`style.css: HTTP ${response.status}`);
    return response.text();
  },
};
