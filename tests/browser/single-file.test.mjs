// pkg/camformer.html opened from file:// (no server): ready, predictions equal the expected
// values, the panels work (predict, ISM), nothing but file:, blob: and data: is requested; it
// holds only the CPU module (small), says WebGPU is not available there, and a forced WebGPU
// backend falls back to the CPU saying so.

import { statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { assertBuiltInModelIsDefault, expectedCases } from './data.mjs';
import { assertClose, check, eventsOf, inApp, openPage, recordEvents, waitReady } from './harness.mjs';

export const tests = [
  {
    name: 'single file: pkg/camformer.html works from file://',
    async run({ context, origin, root, log }) {
      const cases = await expectedCases(context, origin);
      const app = await openPage(context, { file: true });
      await recordEvents(app.page);
      const page = app.page;
      const file = path.join(root, 'pkg', 'camformer.html');
      const size = statSync(file).size;
      const cpuWasm = statSync(path.join(root, 'pkg', 'camformer_bg.wasm')).size;
      const gpuWasm = statSync(path.join(root, 'pkg', 'camformer-gpu_bg.wasm')).size;
      log(`pkg/camformer.html: ${(size / 1e6).toFixed(1)} MB (CPU wasm ${(cpuWasm / 1e6).toFixed(1)} MB as base64, plus the app)`);
      check(size < (cpuWasm * 4) / 3 + 2e6 && size < gpuWasm, `the single file inlines only the CPU module (${size} bytes)`);
      const url = pathToFileURL(file).href;
      await page.goto(url);
      const { detail, sinceNavigationMs } = await waitReady(page);
      log(`file:// single file ready ${sinceNavigationMs.toFixed(0)} ms after navigation (backend ${detail.backend})`);
      check(detail.backend === 'cpu', 'no GPU flag: the CPU backend');
      assertBuiltInModelIsDefault(detail);
      const note = 'WebGPU is not available in the single-file build';
      check((await inApp(page, '.cf-status .cf-build-note').textContent()) === note, 'the status bar says WebGPU is not available');
      check(await inApp(page, '.cf-status .cf-build-note').isVisible(), 'visibly');
      // The worker pool from file:// too: the compiled module is handed from worker to worker.
      const expectedWorkers = await page.evaluate(() => Math.min(navigator.hardwareConcurrency || 1, 4));
      check(detail.workers === expectedWorkers && (await page.evaluate(() => document.querySelector('camformer-predictor').workers)) === expectedWorkers, `${detail.workers} workers (one per core, at most 4: ${expectedWorkers})`);
      const predictions = await page.evaluate((s) => document.querySelector('camformer-predictor').predict(s), cases.sequences);
      assertClose(predictions, cases.predictions, 1e-4, 'single-file predictions');

      // The panels: example, predict, ISM from the table.
      await inApp(page, '.cf-input-panel button:text("Example")').click();
      await inApp(page, 'button.cf-predict').click();
      await inApp(page, '.cf-results-panel table.cf-table tbody tr').first().waitFor({ timeout: 120_000 });
      await inApp(page, '.cf-results-panel table.cf-table tbody tr:first-child button.cf-ism-button').click();
      await inApp(page, 'svg.cf-ism-svg').waitFor({ timeout: 120_000 });
      check((await inApp(page, 'svg.cf-ism-svg rect.cf-mut').count()) === 240, 'the ISM heatmap renders');
      const ism = (await eventsOf(page, 'ism'))[0];
      log(`file:// ISM latency: ${ism.elapsedMs.toFixed(0)} ms`);

      // A forced WebGPU backend: the CPU, and the reason.
      const forced = await page.evaluate(async () => {
        const el = document.querySelector('camformer-predictor');
        el.setAttribute('backend', 'webgpu');
        await new Promise((resolve) => setTimeout(resolve, 0));
        const d = await el.ready;
        return { backend: d.backend, fallback: d.fallback };
      });
      check(forced.backend === 'cpu' && forced.fallback === `${note}; using the CPU`, `forced WebGPU in the single file: ${JSON.stringify(forced)}`);
      const schemes = new Set(app.requests.map((u) => u.split(':')[0]));
      check([...schemes].every((s) => ['file', 'blob', 'data'].includes(s)), `requests only to file:, blob:, data: (${[...schemes].join(', ')})`);
      app.assertClean();
    },
  },
];
