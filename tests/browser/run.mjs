#!/usr/bin/env node
// End-to-end browser tests of Camformer Web: Debian's Chromium driven by playwright-core.
//
//   npm ci && node tests/browser/run.mjs [name-filter ...]
//
// Each test gets a fresh browser profile and fails on any console error, page error, failed
// request or request that leaves the origin (see harness.mjs). Tests needing pkg/ (the built
// wasm package) fail with a clear message when it is missing: run scripts/build-wasm.sh.
// Expected predictions: tests/browser/fixtures/expected.json when present (see README.md).

import { existsSync } from 'node:fs';
import path from 'node:path';
import { ROOT, launch, startServer } from './harness.mjs';
import { tests as design } from './design.test.mjs';
import { tests as embed } from './embed.test.mjs';
import { tests as ism } from './ism.test.mjs';
import { tests as model } from './model.test.mjs';
import { tests as modules } from './modules.test.mjs';
import { tests as motifs } from './motifs.test.mjs';
import { tests as attributions } from './attributions.test.mjs';
import { tests as cors } from './cors.test.mjs';
import { tests as dream } from './dream.test.mjs';
import { tests as pool } from './pool.test.mjs';
import { tests as predict } from './predict.test.mjs';
import { tests as privacy } from './privacy.test.mjs';
import { tests as singleFile } from './single-file.test.mjs';
import { tests as ux } from './ux.test.mjs';
import { tests as variants } from './variants.test.mjs';
import { tests as webgpu } from './webgpu.test.mjs';

const ALL = [...predict, ...pool, ...modules, ...ism, ...motifs, ...attributions, ...variants, ...design, ...dream, ...embed, ...cors, ...singleFile, ...privacy, ...model, ...webgpu, ...ux];

const filters = process.argv.slice(2);
const selected = filters.length ? ALL.filter((t) => filters.some((f) => t.name.includes(f))) : ALL;

const root = process.env.CAMFORMER_WEB_ROOT ?? ROOT;
for (const file of ['pkg/camformer.js', 'pkg/camformer_bg.wasm', 'pkg/camformer-relaxed_bg.wasm', 'pkg/camformer-gpu.js', 'pkg/camformer-gpu_bg.wasm', 'pkg/camformer-predictor.js', 'pkg/camformer.html']) {
  if (!existsSync(path.join(root, file))) {
    console.error(`${file} is missing: build the package first (scripts/build-wasm.sh, or node scripts/bundle.mjs after a wasm build).`);
    process.exit(2);
  }
}

const server = await startServer(root);
console.log(`serving ${root} at ${server.origin}; ${selected.length} tests\n`);
const failures = [];
const measurements = [];
for (const test of selected) {
  const t0 = performance.now();
  const browser = await launch(test.browser ?? {});
  const notes = [];
  try {
    await test.run({ context: browser.context, origin: server.origin, root, log: (line) => notes.push(line) });
    console.log(`ok    ${test.name} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (err) {
    failures.push(test.name);
    console.log(`FAIL  ${test.name} (${((performance.now() - t0) / 1000).toFixed(1)} s)\n      ${String(err?.stack ?? err).split('\n').join('\n      ')}`);
  } finally {
    for (const line of notes) console.log(`      ${line}`);
    measurements.push(...notes.map((n) => `${test.name}: ${n}`));
    await browser.close().catch(() => {});
  }
}
await server.close();
console.log(`\n${selected.length - failures.length} passed, ${failures.length} failed${failures.length ? `: ${failures.join(', ')}` : ''}`);
process.exit(failures.length ? 1 : 0);
