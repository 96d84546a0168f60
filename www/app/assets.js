// Where the app finds its worker, wasm modules and styles when it runs from the www/ sources
// (served over http: `node scripts/serve.mjs`, then /www/). scripts/bundle.mjs replaces this
// module: the built element (pkg/camformer-predictor.js) makes the worker from an inlined
// source and finds both wasm modules beside itself; the single-file app (pkg/camformer.html)
// inlines the glue, the CPU module (base64) and the styles, and has no WebGPU module.

/**
 * Where the worker gets one wasm module: the wasm-bindgen glue and the wasm itself.
 * @typedef {object} WasmModule
 * @property {string|null} glueUrl absolute URL of the glue (null: defined inside the worker)
 * @property {{url?: string, base64?: string}} wasm
 */

/**
 * @typedef {object} Assets
 * @property {string} mode 'source' | 'element' | 'single-file'
 * @property {() => Promise<Worker>} createWorker a worker running www/worker.js
 * @property {() => {cpu: WasmModule, gpu: WasmModule|null}} modules the CPU-only module (always
 *   loaded) and the WebGPU one (loaded only when WebGPU is chosen; null if this build has none)
 * @property {string|null} gpuMissing why this build has no WebGPU module, shown with the backend
 * @property {() => Promise<string>} css the element's stylesheet text
 */

const pkg = (file) => new URL(`../../pkg/${file}`, import.meta.url).href;

/** @type {Assets} */
export const assets = {
  mode: 'source',
  createWorker: async () => {
    // A worker from a Blob URL inherits the page's Content-Security-Policy (one loaded from a
    // URL would get only its own response's), so the privacy policy binds the worker too.
    const response = await fetch(new URL('../worker.js', import.meta.url));
    if (!response.ok) throw new Error(`worker.js: HTTP ${response.status}`);
    const url = URL.createObjectURL(new Blob([await response.text()], { type: 'text/javascript' }));
    return new Worker(url, { type: 'module', name: 'camformer' });
  },
  modules: () => ({
    cpu: { glueUrl: pkg('camformer.js'), wasm: { url: pkg('camformer_bg.wasm') } },
    gpu: { glueUrl: pkg('camformer-gpu.js'), wasm: { url: pkg('camformer-gpu_bg.wasm') } },
  }),
  gpuMissing: null,
  css: async () => {
    const response = await fetch(new URL('../style.css', import.meta.url));
    if (!response.ok) throw new Error(`style.css: HTTP ${response.status}`);
    return response.text();
  },
};
