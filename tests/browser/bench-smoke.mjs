// Smoke test of the benchmark page (www/bench.html): it runs end to end on the wasm CPU backend
// with small sizes, sets window.benchResults with the expected structure, and requests nothing
// outside the origin. Timings are not checked (scripts/bench-browser.mjs measures them).
//
//   node tests/browser/bench-smoke.mjs            (standalone)
// or add `tests` to tests/browser/run.mjs. ONNX Runtime Web is included when
// target/bench/camformer_mini.onnx exists (scripts/export_onnx.py) and node_modules has it.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, check, launch, openPage, startServer } from './harness.mjs';

export const tests = [
  {
    name: 'bench: the benchmark page runs (CPU, small batch) and reports window.benchResults',
    async run({ context, origin, root = ROOT, log = () => {} }) {
      const withOrt =
        existsSync(path.join(root, 'target', 'bench', 'camformer_mini.onnx')) &&
        existsSync(path.join(root, 'node_modules', 'onnxruntime-web', 'dist', 'ort.wasm.min.mjs'));
      const { page, assertClean } = await openPage(context, { origin });
      await page.goto(`${origin}/www/bench.html?reps=1&batch=16&webgpu=0&ort=${withOrt ? 1 : 0}`);
      await page.waitForFunction(() => window.benchResults !== undefined, null, { timeout: 600_000, polling: 1000 });
      const r = await page.evaluate(() => window.benchResults);
      check(r.errors.length === 0, `the page reported errors: ${r.errors.join('; ')}`);
      const cpu = r.camformer.cpu;
      check(cpu.predict.batch === 16 && cpu.predict.seq_per_s > 0, 'CPU predict throughput reported');
      for (const key of ['fast_random_region', 'naive_random_region', 'fast_all_positions', 'naive_all_positions']) {
        check(cpu.ism[key]?.median_s > 0, `CPU ISM ${key} reported`);
      }
      check(cpu.ism.fast_random_region.mutants === 240 && cpu.ism.fast_all_positions.mutants === 330, 'ISM mutant counts 240 / 330');
      check(cpu.ism.fast_vs_naive_max_abs_diff_all_positions < 1e-3, 'fast and naive ISM agree');
      check(r.page.firstPredictionMs > 0, 'page load to first prediction reported');
      if (withOrt) {
        check(r.ort.predict.seq_per_s > 0 && r.ort.ism.naive_all_positions.batch === 331, 'ONNX Runtime Web reported');
        // Only for the same weights: the ONNX file may have been exported from a newer
        // models/default than the one compiled into pkg/ (scripts/build-wasm.sh --check).
        if (r.checks.ort_same_weights) {
          check(r.checks.ort_vs_cpu_max_abs_diff < 1e-4, `ONNX Runtime Web agrees with Camformer (${r.checks.ort_vs_cpu_max_abs_diff})`);
        } else {
          log('the ONNX file and pkg/ hold different weights: agreement not checked');
        }
      }
      log(`first prediction ${r.page.firstPredictionMs.toFixed(0)} ms; CPU ${cpu.predict.seq_per_s.toFixed(1)} seq/s (batch 16)${withOrt ? `; ONNX Runtime Web ${r.ort.predict.seq_per_s.toFixed(1)} seq/s` : ''}`);
      assertClean();
    },
  },
];

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const server = await startServer();
  const browser = await launch();
  let failed = false;
  try {
    for (const t of tests) {
      const t0 = performance.now();
      await t.run({ context: browser.context, origin: server.origin, log: (l) => console.log(`      ${l}`) });
      console.log(`ok    ${t.name} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    }
  } catch (err) {
    failed = true;
    console.log(`FAIL  ${String(err?.stack ?? err)}`);
  } finally {
    await browser.close();
    await server.close();
  }
  process.exit(failed ? 1 : 0);
}
