// WebGPU through SwiftShader (--enable-unsafe-webgpu, no GPU here): "auto" must prefer the CPU
// over a fallback adapter, say why and never fetch the WebGPU module; backend="webgpu" must load
// the WebGPU module (camformer-gpu.js + camformer-gpu_bg.wasm, not the CPU one), run on WebGPU
// and predict within 1e-3 of the expected values. A WebGPU module that does not load, or no
// adapter at all, falls back to the CPU module and says so. SwiftShader is slow: a handful of
// sequences.

import { assertBuiltInModelIsDefault, expectedCases } from './data.mjs';
import { assertClose, check, CPU_WASM, cpuWasmOf, openPage, waitReady } from './harness.mjs';

const FEW = 4;
const SEQ = 'GAATCTTTTCCTAAACAGTGTTGGATATTGATCTCGCATCTACTATTATGAAGTCATTATTACTATATTACCTGACCTAG';

/** The same-origin paths a page requested. */
const pathsOf = (app, origin) => app.requests.filter((u) => u.startsWith(origin)).map((u) => u.slice(origin.length));

export const tests = [
  {
    name: 'webgpu: auto avoids the SwiftShader fallback adapter (CPU module only); forced WebGPU loads the GPU module and predicts within 1e-3',
    browser: { webgpu: true },
    async run({ context, origin, log }) {
      const cases = await expectedCases(context, origin);
      const auto = await openPage(context, { origin });
      await auto.page.goto(`${origin}/www/`);
      const { detail } = await waitReady(auto.page);
      log(`auto: backend ${detail.backend}; adapter ${JSON.stringify(detail.adapter)}; note: ${detail.note}`);
      check(detail.adapter, 'with --enable-unsafe-webgpu an adapter is found');
      if (detail.adapter.isFallbackAdapter) {
        check(detail.backend === 'cpu' && detail.module === 'cpu', 'auto takes the CPU over a fallback adapter');
        check(/fallback/.test(detail.note ?? ''), 'and says why');
        await auto.page.waitForTimeout(500);
        const paths = pathsOf(auto, origin);
        check(paths.includes(cpuWasmOf(detail)), 'the CPU module is loaded');
        check(!paths.some((p) => p.includes('camformer-gpu')), `the WebGPU module is not fetched for a fallback adapter: ${paths.join(', ')}`);
      }
      auto.assertClean();
      await auto.page.close();

      const gpu = await openPage(context, { origin });
      await gpu.page.goto(`${origin}/www/?backend=webgpu`);
      const ready = await waitReady(gpu.page, 300_000);
      log(`webgpu: ready ${ready.sinceNavigationMs.toFixed(0)} ms after navigation; fallback: ${ready.detail.fallback}`);
      check(ready.detail.backend === 'webgpu', `backend="webgpu" runs on WebGPU (got ${ready.detail.backend}: ${ready.detail.fallback})`);
      check(ready.detail.module === 'gpu', `the WebGPU module runs the model (${ready.detail.module})`);
      // One GPU, one worker: the pool does not grow on WebGPU.
      check(ready.detail.workers === 1 && (await gpu.page.evaluate(() => document.querySelector('camformer-predictor').workers)) === 1, `WebGPU runs one worker (${ready.detail.workers})`);
      assertBuiltInModelIsDefault(ready.detail);
      const paths = pathsOf(gpu, origin);
      check(paths.includes('/pkg/camformer-gpu.js') && paths.includes('/pkg/camformer-gpu_bg.wasm'), `the WebGPU module is loaded (${paths.join(', ')})`);
      check(!Object.values(CPU_WASM).some((p) => paths.includes(p)), 'the CPU module is not needed when WebGPU works');
      const t0 = Date.now();
      const predictions = await gpu.page.evaluate((s) => document.querySelector('camformer-predictor').predict(s), cases.sequences.slice(0, FEW));
      const worst = assertClose(predictions, cases.predictions.slice(0, FEW), 1e-3, 'WebGPU (SwiftShader) predictions');
      log(`webgpu: ${FEW} sequences in ${Date.now() - t0} ms, max |diff| ${worst.toExponential(2)}`);
      check((await gpu.page.locator('camformer-predictor .cf-backend').textContent()).startsWith('WebGPU'), 'the status bar names WebGPU');
      gpu.assertClean();
    },
  },
  {
    name: 'webgpu: auto times WebGPU against the CPU pool (auto-probe=always on SwiftShader), keeps the faster, remembers it per browser',
    browser: { webgpu: true },
    async run({ context, origin, log }) {
      const first = await openPage(context, { origin });
      await first.page.goto(`${origin}/www/?auto-probe=always&workers=2`);
      const { detail } = await waitReady(first.page, 300_000);
      const c = detail.autoChoice;
      log(`auto, timed: ${JSON.stringify(c)}; probe ${detail.timings?.probeMs?.toFixed(0)} ms`);
      check(c && c.workers === 2 && c.webgpuPerS > 0 && c.cpuPerS > 0, 'both backends were timed, against 2 CPU workers');
      // SwiftShader is far slower than the wasm CPU path, so the CPU pool wins.
      check(c.backend === 'cpu' && c.webgpuPerS < c.cpuPerS * 2, `the CPU pool is faster (${c.webgpuPerS} vs ${c.cpuPerS} x 2)`);
      check(detail.backend === 'cpu' && detail.workers === 2, `auto runs on the CPU with the pool (${detail.backend}, ${detail.workers} workers)`);
      check(detail.timings.probeMs > 0, 'the timing took place at this start');
      const status = first.page.locator('camformer-predictor .cf-backend');
      check((await status.textContent()).includes('auto, timed'), `the status bar says the choice was timed: ${await status.textContent()}`);
      check(/WebGPU [\d.]+ sequences\/s, CPU [\d.]+\/s per worker x 2/.test(await status.getAttribute('title')), `with the rates: ${await status.getAttribute('title')}`);
      check(pathsOf(first, origin).some((p) => p.includes('camformer-gpu')), 'the WebGPU module was loaded to be timed');
      const stored = await first.page.evaluate(() => JSON.parse(localStorage.getItem('camformer-web:auto-backend')));
      check(stored?.backend === 'cpu' && stored.key === c.key, 'the choice is kept in this browser');
      const predictions = await first.page.evaluate((s) => document.querySelector('camformer-predictor').predict([s]), SEQ);
      check(predictions.length === 1 && Number.isFinite(predictions[0]), 'it predicts');
      first.assertClean();
      await first.page.close();

      // The next start in this browser takes the kept choice: no timing, no WebGPU module.
      const again = await openPage(context, { origin });
      await again.page.goto(`${origin}/www/?auto-probe=always&workers=2`);
      const next = (await waitReady(again.page, 120_000)).detail;
      check(next.backend === 'cpu' && next.autoChoice?.date === c.date && !next.timings?.probeMs, `the kept choice is used without timing (${JSON.stringify(next.timings)})`);
      await again.page.waitForTimeout(300);
      check(!pathsOf(again, origin).some((p) => p.includes('camformer-gpu')), 'the WebGPU module is not fetched again');
      await again.page.evaluate(() => localStorage.removeItem('camformer-web:auto-backend'));
      again.assertClean();
      await again.page.close();
    },
  },
  {
    name: 'webgpu: a WebGPU module that does not load falls back to the CPU module and says so',
    browser: { webgpu: true },
    async run({ context, origin, log }) {
      const app = await openPage(context, { origin });
      // A corrupt download (HTTP 200, not wasm).
      await app.page.route('**/pkg/camformer-gpu_bg.wasm', (route) =>
        route.fulfill({ status: 200, contentType: 'application/wasm', body: Buffer.from('this is not a wasm module') }),
      );
      await app.page.goto(`${origin}/www/?backend=webgpu`);
      const { detail } = await waitReady(app.page, 300_000);
      log(`corrupt WebGPU module: backend ${detail.backend}; fallback: ${detail.fallback}`);
      check(detail.backend === 'cpu' && detail.module === 'cpu', `falls back to the CPU module (${detail.backend}, ${detail.module})`);
      check(/WebGPU module did not load.*using the CPU/.test(detail.fallback ?? ''), `the fallback is reported: ${detail.fallback}`);
      const shown = await app.page.locator('camformer-predictor .cf-status .cf-fallback').textContent();
      check(shown.includes('using the CPU'), `the status bar says so: ${shown}`);
      const p = await app.page.evaluate((s) => document.querySelector('camformer-predictor').predict([s]), SEQ);
      check(Number.isFinite(p[0]), 'and predicts');
      app.assertClean();
    },
  },
  {
    name: 'webgpu: a forced WebGPU backend without an adapter falls back to the CPU and says so',
    async run({ context, origin, log }) {
      const app = await openPage(context, { origin });
      await app.page.goto(`${origin}/www/?backend=webgpu`);
      const { detail } = await waitReady(app.page);
      log(`without --enable-unsafe-webgpu: backend ${detail.backend}; fallback: ${detail.fallback}`);
      check(detail.backend === 'cpu', 'falls back to the CPU');
      check(/using the CPU/.test(detail.fallback ?? ''), 'the fallback is reported');
      const shown = await app.page.locator('camformer-predictor .cf-status .cf-fallback').textContent();
      check(shown.includes('using the CPU'), `the status bar says so: ${shown}`);
      check(!pathsOf(app, origin).some((p) => p.includes('camformer-gpu')), 'without an adapter the WebGPU module is not fetched');
      const p = await app.page.evaluate((s) => document.querySelector('camformer-predictor').predict([s]), SEQ);
      check(Number.isFinite(p[0]), 'and predicts');
      app.assertClean();
    },
  },
];
