// The wasm modules: the default page on a machine without a real GPU fetches only the CPU-only
// module (camformer.js + one of its two builds), never the WebGPU one (camformer-gpu.js +
// camformer-gpu_bg.wasm); what the page downloads is measured. The CPU module's builds: the
// relaxed-SIMD one where the browser has relaxed SIMD (this Chromium does), the simd128 one on
// request (simd="simd128") or when the relaxed one cannot be loaded; both predict the same.

import { assertBuiltInModelIsDefault, expectedCases } from './data.mjs';
import { assertClose, check, CPU_WASM, cpuWasmOf, openPage, waitReady } from './harness.mjs';

/** Records every finished request of `page` with its response body size. */
export function recordSizes(page) {
  const sizes = [];
  page.on('requestfinished', async (req) => {
    try {
      const s = await req.sizes();
      sizes.push({ url: req.url(), bytes: s.responseBodySize, headers: s.responseHeadersSize });
    } catch {
      // The page went away.
    }
  });
  return sizes;
}

export const tests = [
  {
    name: 'modules: the default page without a real GPU loads only the CPU wasm module, never camformer-gpu_bg.wasm',
    async run({ context, origin, log }) {
      const app = await openPage(context, { origin });
      const sizes = recordSizes(app.page);
      await app.page.goto(`${origin}/www/`);
      const { detail, sinceNavigationMs } = await waitReady(app.page);
      check(detail.backend === 'cpu' && detail.module === 'cpu', `auto without a GPU: the CPU module (${detail.backend}, ${detail.module})`);
      log(`default page: ready ${sinceNavigationMs.toFixed(0)} ms after navigation (auto: ${detail.note ?? 'no note'})`);
      // Anything still in flight would have to be the GPU module: give it a moment to show up.
      await app.page.waitForTimeout(1000);
      const paths = app.requests.filter((u) => u.startsWith(origin)).map((u) => u.slice(origin.length));
      check(detail.simd === 'relaxed', `this Chromium has relaxed SIMD: the relaxed-SIMD build runs (${detail.simd})`);
      check(paths.includes('/pkg/camformer.js') && paths.includes(cpuWasmOf(detail)), `the CPU module is loaded (${paths.join(', ')})`);
      check(!paths.includes(CPU_WASM.simd128), 'only one build of the CPU module is fetched');
      check((await app.page.locator('camformer-predictor .cf-backend').textContent()).includes('relaxed SIMD'), 'the status bar names the build');
      check(!paths.some((p) => p.includes('camformer-gpu')), `the WebGPU module must not be requested: ${paths.filter((p) => p.includes('gpu')).join(', ')}`);
      const total = sizes.reduce((a, s) => a + Math.max(0, s.bytes) + Math.max(0, s.headers), 0);
      const wasm = sizes.filter((s) => s.url.endsWith('.wasm')).reduce((a, s) => a + s.bytes, 0);
      log(`default page downloaded ${(total / 1e6).toFixed(2)} MB in ${sizes.length} requests (wasm ${(wasm / 1e6).toFixed(2)} MB, uncompressed: the test server does not gzip)`);
      app.assertClean();
    },
  },
  {
    name: 'modules: simd="simd128" runs the simd128 build, which predicts as the relaxed-SIMD one (1e-5) and the CLI (1e-4); its whole pool runs that build',
    async run({ context, origin, log }) {
      const cases = await expectedCases(context, origin);
      const predictWith = async (simd) => {
        const app = await openPage(context, { origin });
        await app.page.goto(`${origin}/www/?backend=cpu&workers=2&simd=${simd}`);
        const { detail } = await waitReady(app.page);
        assertBuiltInModelIsDefault(detail);
        const paths = app.requests.filter((u) => u.startsWith(origin)).map((u) => u.slice(origin.length));
        const predictions = await app.page.evaluate((s) => document.querySelector('camformer-predictor').predict(s), cases.sequences);
        const status = await app.page.locator('camformer-predictor .cf-backend').textContent();
        app.assertClean();
        await app.page.close();
        return { detail, paths, predictions, status };
      };
      const plain = await predictWith('simd128');
      check(plain.detail.simd === 'simd128', `simd="simd128" runs the simd128 build (${plain.detail.simd})`);
      check(plain.detail.workers === 2, `two workers (${plain.detail.workers})`);
      check(plain.paths.includes(CPU_WASM.simd128) && !plain.paths.includes(CPU_WASM.relaxed), `only the simd128 build is fetched (${plain.paths.join(', ')})`);
      check(plain.status.includes('CPU (WebAssembly, SIMD)'), `the status bar names the build: ${plain.status}`);
      const fused = await predictWith('relaxed');
      check(fused.detail.simd === 'relaxed', `simd="relaxed" runs the relaxed-SIMD build (${fused.detail.simd})`);
      const between = assertClose(fused.predictions, plain.predictions, 1e-5, 'relaxed-SIMD vs simd128 build');
      if (cases.fixture) {
        assertClose(plain.predictions, cases.predictions, 1e-4, 'simd128 build vs the CLI');
        assertClose(fused.predictions, cases.predictions, 1e-4, 'relaxed-SIMD build vs the CLI');
      }
      log(`${cases.sequences.length} sequences: max |relaxed - simd128| ${between.toExponential(1)} (fused multiply-add rounds once)`);
    },
  },
  {
    name: 'modules: a server without camformer-relaxed_bg.wasm still works on the simd128 build and says why',
    async run({ context, origin, log }) {
      const app = await openPage(context, { origin, allowConsole: [/404|Failed to load/i] });
      await app.page.route(/\/pkg\/camformer-relaxed_bg\.wasm$/, (route) => route.fulfill({ status: 404, contentType: 'text/plain', body: 'not found' }));
      await app.page.goto(`${origin}/www/?backend=cpu&workers=2`);
      const { detail } = await waitReady(app.page);
      check(detail.simd === 'simd128', `the simd128 build runs (${detail.simd})`);
      check(detail.workers === 2, `the pool still starts (${detail.workers} workers)`);
      const warning = await app.page.locator('camformer-predictor .cf-status').allTextContents();
      const text = warning.join(' ');
      log(`status: "${text.trim().slice(0, 200)}"`);
      check(/relaxed-SIMD module did not load.*camformer-relaxed_bg\.wasm.*simd128/.test(text), `the status bar says which file is missing and what runs instead: ${text}`);
      const y = await app.page.evaluate(() => document.querySelector('camformer-predictor').predict(['ACGT'.repeat(20)]));
      check(y.length === 1 && Number.isFinite(y[0]), 'and predicts');
    },
  },
];
