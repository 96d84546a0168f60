#!/usr/bin/env node
// The whole performance benchmark in one command, headless:
//
//   node scripts/bench-browser.mjs [--reps 5] [--quick] [--skip-native] [--skip-browser]
//        [--skip-app] [--skip-pool] [--pool-workers 1,2,N] [--pool-sequences 2048]
//        [--no-webgpu] [--no-webgpu-ism] [--no-ort] [--timeout-min 60]
//        [--out target/bench/results.json]
//
// 1. the ONNX peer model: target/bench/camformer_mini.onnx, (re)exported by
//    scripts/export_onnx.py when missing or made from other weights
//    ($CAMFORMER_BENCH_PYTHON, default ~/.cache/camformer-web/venv-bench/bin/python);
// 2. native numbers: examples/bench_native (built by `cargo build --workspace --release
//    --examples`), with rayon's default threads (all cores) and with RAYON_NUM_THREADS=1 (the
//    fair comparison with single-threaded wasm);
//    CARGO_TARGET_DIR defaults to ~/.cache/camformer-web/target;
// 3. the benchmark page www/bench.html in Debian's Chromium (playwright-core, fresh profile,
//    --enable-unsafe-webgpu, never --disable-gpu): Camformer wasm CPU (the simd128 build and,
//    where the browser has relaxed SIMD, the relaxed-SIMD build) and WebGPU, ONNX Runtime
//    Web; waits for window.benchResults;
// 4. the default app page www/index.html in a fresh profile: navigation to `ready` and to the
//    first prediction (cold, then a repeat visit), and everything it downloads (logged by the
//    static server), with gzip -9 sizes;
// 5. the worker pool: the app page on the CPU with workers=1, 2 and N (N = the browser's
//    navigator.hardwareConcurrency; --pool-workers overrides the list), each with the simd128
//    and the relaxed-SIMD build of the CPU module (simd=simd128 / simd=relaxed), batch-prediction
//    throughput of element.predict() (--pool-sequences random 80-bp regions, split across the
//    workers), the latency of the fast ISM of one sequence (its positions split across the idle
//    workers: the live-ISM latency), and each worker's wasm memory after loading the model;
// then prints Markdown tables for the README and writes target/bench/results.json.
// Run it on an otherwise idle machine: every timing is a median, but background load still
// shows (the load average is recorded).

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const HOME = os.homedir();
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--enable-unsafe-webgpu',
];

// ---- arguments ----

const argv = process.argv.slice(2);
const has = (name) => argv.includes(name);
const value = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
};
if (has('--help') || has('-h')) {
  // The header comment: every line after the shebang up to the first that is not a comment.
  const lines = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1);
  const header = lines.slice(0, lines.findIndex((l) => !l.startsWith('//')));
  console.log(header.map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
  process.exit(0);
}
const QUICK = has('--quick');
const OPTS = {
  reps: Number(value('--reps', QUICK ? 1 : 5)),
  native: !has('--skip-native'),
  browser: !has('--skip-browser'),
  app: !has('--skip-app'),
  webgpu: !has('--no-webgpu'),
  webgpuIsm: !has('--no-webgpu-ism'),
  ort: !has('--no-ort'),
  pool: !has('--skip-pool'),
  poolWorkers: value('--pool-workers', null),
  poolSequences: Number(value('--pool-sequences', QUICK ? 512 : 2048)),
  timeoutMs: Number(value('--timeout-min', 60)) * 60_000,
  out: path.resolve(ROOT, value('--out', 'target/bench/results.json')),
};
const ONNX = path.join(ROOT, 'target', 'bench', 'camformer_mini.onnx');
const log = (...a) => console.error(...a);

// ---- helpers ----

/** Runs a command; resolves with its stdout (stderr goes to ours); rejects on failure. */
function run(cmd, args, { env = {}, cwd = ROOT } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')}: exit status ${code}`))));
  });
}

const gzipSize = (buf) => zlib.gzipSync(buf, { level: 9 }).length;
const mb = (bytes) => `${(bytes / 1e6).toFixed(2)} MB`;
const secs = (s) => (s === undefined || s === null || !Number.isFinite(s) ? '–' : s < 1 ? `${s.toFixed(3)} s` : `${s.toFixed(2)} s`);
const rate = (x) => (x === undefined || x === null || !Number.isFinite(x) ? '–' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
const ms = (x) => (x === undefined || x === null || !Number.isFinite(x) ? '–' : `${Math.round(x)} ms`);

/**
 * Whether a wasm binary uses SIMD (simd128): its `target_features` section when it lists
 * simd128, otherwise (wasm-bindgen rewrites that section) the count of f32x4.add / f32x4.mul
 * opcodes (0xfd 0xe4 0x01, 0xfd 0xe6 0x01) in the code section, which random bytes of a scalar
 * module would match only a few times.
 * @returns {{simd128: boolean|null, how: string}}
 */
function wasmSimd128(file) {
  try {
    const b = readFileSync(file);
    let p = 8;
    const leb = () => {
      let result = 0;
      let shift = 0;
      for (;;) {
        const byte = b[p++];
        result += (byte & 0x7f) * 2 ** shift;
        shift += 7;
        if (!(byte & 0x80)) return result;
      }
    };
    let code = null;
    while (p < b.length) {
      const id = b[p++];
      const size = leb();
      const end = p + size;
      if (id === 10) code = b.subarray(p, end);
      if (id === 0) {
        const n = leb();
        const name = b.subarray(p, p + n).toString('utf8');
        if (name === 'target_features' && b.subarray(p + n, end).includes(Buffer.from('simd128'))) {
          return { simd128: true, how: 'target_features section lists simd128' };
        }
      }
      p = end;
    }
    if (!code) return { simd128: null, how: 'no code section' };
    let count = 0;
    for (let i = 0; i + 2 < code.length; i++) {
      if (code[i] === 0xfd && (code[i + 1] === 0xe4 || code[i + 1] === 0xe6) && code[i + 2] === 0x01) count++;
    }
    return { simd128: count > 100, how: `${count} f32x4.add/f32x4.mul opcodes in the code section` };
  } catch (err) {
    return { simd128: null, how: err.message };
  }
}

// ---- 1. the ONNX peer ----

async function ensureOnnx() {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'models', 'default', 'manifest.json'), 'utf8'));
  const sidecar = `${ONNX}.json`;
  if (existsSync(ONNX) && existsSync(sidecar)) {
    const s = JSON.parse(readFileSync(sidecar, 'utf8'));
    if (s.weights_sha256 === manifest.weights.sha256) return { exported: false, ...s };
    log('target/bench/camformer_mini.onnx was made from other weights: exporting again');
  }
  const python = process.env.CAMFORMER_BENCH_PYTHON ?? path.join(HOME, '.cache', 'camformer-web', 'venv-bench', 'bin', 'python');
  log(`exporting the default model to ONNX (${python} scripts/export_onnx.py)`);
  await run(python, ['scripts/export_onnx.py']).then((out) => log(out.trim()));
  return { exported: true, ...JSON.parse(readFileSync(sidecar, 'utf8')) };
}

// ---- 2. native ----

async function native() {
  const target = process.env.CARGO_TARGET_DIR ?? path.join(HOME, '.cache', 'camformer-web', 'target');
  const env = { CARGO_TARGET_DIR: target };
  // --workspace: the same feature set as the test build, so no dependency is recompiled
  // (`cargo run --example` cannot take it, and a per-package build rebuilds all of Burn).
  const build = ['build', '--workspace', '--release', '--examples'];
  log(`native: cargo ${build.join(' ')}`);
  await run('cargo', build, { env });
  const bin = path.join(target, 'release', 'examples', 'bench_native');
  const args = ['--reps', String(OPTS.reps)];
  const parse = (out) => JSON.parse(out.trim().split('\n').pop());
  log(`native: ${bin} ${args.join(' ')} (default threads)`);
  const all = parse(await run(bin, args, { env }));
  log(`native: RAYON_NUM_THREADS=1 ${bin} ${args.join(' ')}`);
  const one = parse(await run(bin, args, { env: { ...env, RAYON_NUM_THREADS: '1' } }));
  return { default_threads: all, one_thread: one };
}

// ---- 3 and 4. the browser ----

async function launch() {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'camformer-bench-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 1000 },
  });
  return {
    context,
    profile,
    close: async () => {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Resident memory of the renderer processes of the Chromium using `profile` (Linux `ps`; null
 * elsewhere): a page's dedicated workers live in its renderer, so the difference between pool
 * sizes is what a worker costs in all (wasm memory, JavaScript heap, thread), which no web API
 * reports outside cross-origin isolation.
 */
function rendererRss(profile) {
  try {
    const procs = execFileSync('ps', ['-eo', 'pid=,ppid=,rss=,args='], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((line) => line.trim().match(/^(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/))
      .filter(Boolean)
      .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), rss: Number(m[3]) * 1024, args: m[4] }));
    const browser = procs.find((p) => p.args.includes(`--user-data-dir=${profile}`) && !p.args.includes('--type='));
    if (!browser) return null;
    const ours = new Set([browser.pid]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const p of procs) if (!ours.has(p.pid) && ours.has(p.ppid)) (ours.add(p.pid), (grew = true));
    }
    return procs.filter((p) => ours.has(p.pid) && p.args.includes('--type=renderer')).reduce((sum, p) => sum + p.rss, 0);
  } catch {
    return null;
  }
}

/** Records console errors, page errors, failed requests and requests leaving the origin. */
function watch(page, origin, problems) {
  const ok = (url) => url.startsWith('blob:') || url.startsWith('data:') || url === origin || url.startsWith(`${origin}/`);
  const onConsole = (where) => (msg) => {
    if (msg.type() === 'error') problems.push(`console.error (${where}): ${msg.text()}`);
  };
  page.on('console', onConsole('page'));
  page.on('worker', (w) => w.on('console', onConsole('worker')));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    if (!ok(r.url())) problems.push(`request leaves the origin: ${r.url()}`);
  });
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
}

async function benchPage(origin) {
  const { context, close } = await launch();
  const problems = [];
  try {
    const page = await context.newPage();
    watch(page, origin, problems);
    const q = new URLSearchParams({ reps: String(OPTS.reps) });
    if (!OPTS.webgpu) q.set('webgpu', '0');
    if (!OPTS.webgpuIsm) q.set('webgpuIsm', '0');
    if (!OPTS.ort) q.set('ort', '0');
    const url = `${origin}/www/bench.html?${q}`;
    log(`browser: ${url}`);
    await page.goto(url);
    const deadline = Date.now() + OPTS.timeoutMs;
    let last = '';
    for (;;) {
      const done = await page.evaluate(() => window.benchResults !== undefined);
      if (done) break;
      const status = await page.locator('#status').textContent().catch(() => '');
      if (status && status !== last) log(`browser: ${status}`);
      last = status;
      if (Date.now() > deadline) throw new Error(`the benchmark page did not finish in ${OPTS.timeoutMs / 60000} min (last status: ${last})`);
      await page.waitForTimeout(2000);
    }
    const results = await page.evaluate(() => JSON.parse(JSON.stringify(window.benchResults)));
    results.problems = problems;
    results.chromium = context.browser()?.version() ?? null;
    return results;
  } finally {
    await close();
  }
}

/** The app page: navigation to ready and to the first prediction; what it downloads. */
async function appPage(origin, served, sequence) {
  const { context, close } = await launch();
  const problems = [];
  const visits = [];
  let version = null;
  try {
    const page = await context.newPage();
    watch(page, origin, problems);
    for (const visit of ['first visit (fresh profile)', 'repeat visit']) {
      served.length = 0;
      await page.goto(`${origin}/www/index.html`);
      const r = await page.evaluate(async (seq) => {
        await customElements.whenDefined('camformer-predictor');
        const el = document.querySelector('camformer-predictor');
        const detail = await Promise.race([el.ready, new Promise((_, no) => setTimeout(() => no(new Error('not ready after 120 s')), 120_000))]);
        const readyMs = performance.now();
        const y = await el.predict([seq]);
        return { readyMs, firstPredictionMs: performance.now(), backend: detail?.backend ?? el.backend, prediction: y[0] };
      }, sequence);
      // Let late requests (if any) finish before reading the server's log.
      await page.waitForTimeout(500);
      visits.push({ visit, ...r, requests: [...served] });
    }
    version = context.browser()?.version() ?? null;
  } finally {
    await close();
  }
  // Sizes of everything the first visit downloaded (the static server's log: page, worker and
  // module requests alike).
  const files = [];
  for (const url of new Set(visits[0].requests)) {
    const rel = decodeURIComponent(new URL(url, origin).pathname).replace(/^\/+/, '');
    let file = path.join(ROOT, rel);
    if (existsSync(file) && statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (!existsSync(file)) continue;
    const buf = readFileSync(file);
    files.push({ path: path.relative(ROOT, file), bytes: buf.length, gzip9: gzipSize(buf) });
  }
  files.sort((a, b) => b.gzip9 - a.gzip9);
  const total = files.reduce((s, f) => ({ bytes: s.bytes + f.bytes, gzip9: s.gzip9 + f.gzip9 }), { bytes: 0, gzip9: 0 });
  return { chromium: version, visits: visits.map(({ requests, ...v }) => ({ ...v, requests: requests.length })), download: { files, total }, problems };
}

/**
 * The worker pool: batch throughput of element.predict() on the app page (CPU) with 1, 2 and N
 * workers, and the wasm memory of each worker. One browser; a fresh page per pool size.
 */
async function poolPage(origin) {
  const { context, close, profile } = await launch();
  const problems = [];
  const runs = [];
  let cores = null;
  let version = null;
  let noRelaxed = false;
  try {
    const page = await context.newPage();
    watch(page, origin, problems);
    version = await page.evaluate(() => navigator.userAgent.match(/Chrome\/([\d.]+)/)?.[1] ?? null);
    // The browser's count of cores (what the element's default uses), read before any app page.
    cores = await page.evaluate(() => navigator.hardwareConcurrency || 1);
    const list = OPTS.poolWorkers ? OPTS.poolWorkers.split(',').map(Number) : [1, 2, cores];
    const sizes = [...new Set(list.filter((n) => Number.isInteger(n) && n >= 1))].sort((a, b) => a - b);
    for (const [workers, simd] of sizes.flatMap((n) => ['simd128', 'relaxed'].map((b) => [n, b]))) {
      if (simd === 'relaxed' && noRelaxed) continue;
      log(`pool: ${workers} worker${workers === 1 ? '' : 's'} (${simd}), ${OPTS.poolSequences} sequences x ${OPTS.reps}`);
      await page.goto(`${origin}/www/index.html?backend=cpu&workers=${workers}&simd=${simd}`);
      const r = await page.evaluate(
        async ({ n, reps }) => {
          await customElements.whenDefined('camformer-predictor');
          const el = document.querySelector('camformer-predictor');
          const detail = await el.ready;
          let x = 12345;
          const rand = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
          const seqs = Array.from({ length: n }, () => Array.from({ length: 80 }, () => 'ACGT'[Math.floor(rand() * 4)]).join(''));
          await el.predict(seqs.slice(0, 64)); // warm-up: every worker's first chunks
          const times = [];
          for (let i = 0; i < reps; i++) {
            const t0 = performance.now();
            await el.predict(seqs);
            times.push(performance.now() - t0);
          }
          // One sequence's fast ISM (80 positions x 3), as the live ISM runs it: warm-up, then
          // reps x 5 timed calls (each is tens of milliseconds).
          const ismOf = () => el.request('ism', { sequence: seqs[0], allPositions: false, method: 'fast' });
          const ismWorkers = (await ismOf()).workers ?? 1;
          const ismTimes = [];
          for (let i = 0; i < reps * 5; i++) {
            const t0 = performance.now();
            await ismOf();
            ismTimes.push(performance.now() - t0);
          }
          return { workers: el.workers, simd: detail.simd, memoryBytes: detail.memoryBytes, times, ismTimes, ismWorkers };
        },
        { n: OPTS.poolSequences, reps: OPTS.reps },
      );
      const seconds = median(r.times) / 1000;
      const rss = rendererRss(profile);
      if (r.simd !== simd) {
        // simd="relaxed" where the browser lacks relaxed SIMD runs the simd128 build (warned).
        if (simd !== 'relaxed') throw new Error(`asked for simd=${simd}, the element runs ${r.simd}`);
        noRelaxed = true;
        continue;
      }
      runs.push({ requested: workers, workers: r.workers, simd: r.simd, sequences: OPTS.poolSequences, median_s: seconds, seq_per_s: OPTS.poolSequences / seconds, times_ms: r.times, ism_ms: median(r.ismTimes), ism_workers: r.ismWorkers, ism_times_ms: r.ismTimes, wasm_memory_bytes: r.memoryBytes, renderer_rss_bytes: rss });
    }
  } finally {
    await close();
  }
  return { cores, runs, problems, chromium: version, relaxed: !noRelaxed };
}

// ---- the report ----

function report(r) {
  const lines = [];
  const p = (s = '') => lines.push(s);
  const n2 = r.native?.default_threads;
  const n1 = r.native?.one_thread;
  const cpu = r.browser?.camformer?.cpu;
  const relaxed = r.browser?.camformer?.cpu_relaxed;
  const gpu = r.browser?.camformer?.webgpu;
  const ort = r.browser?.ort;
  const row = (name, x, ism = x?.ism ?? {}) =>
    `| ${name} | ${rate(x?.predict?.seq_per_s)} | ${secs(ism.fast_random_region?.median_s)} | ${secs(ism.naive_random_region?.median_s)} | ${secs(ism.fast_all_positions?.median_s)} | ${secs(ism.naive_all_positions?.median_s)} |`;

  p(`Mini (the shipped default model), f32, ${r.machine.cores} cores (${r.machine.cpu}), Chromium ${r.browser?.chromium ?? r.app?.chromium ?? r.pool?.chromium ?? '?'} headless, ${r.date.slice(0, 10)}; medians of ${OPTS.reps} runs after a warm-up, results read back; load average ${r.machine.loadavg_start.map((x) => x.toFixed(1)).join(' / ')} at the start.`);
  p();
  // Only the parts that ran (--skip-* leaves some out).
  const engines = [n2, n1, cpu, gpu, ort].some((x) => x && !x.skipped);
  if (engines) p('| engine | predict 256 (seq/s) | ISM fast, 240 mutants | ISM naive, 240 | ISM fast, 330 | ISM naive, 330 |');
  if (engines) p('| --- | --- | --- | --- | --- | --- |');
  const busy = (x) => (Number.isFinite(x?.predict?.cores_busy) ? `; ${x.predict.cores_busy.toFixed(1)} cores busy while predicting` : '');
  if (n2) p(row(`native, CPU network, ${n2.threads} threads (rayon default${busy(n2)})`, n2));
  if (n1) p(row(`native, CPU network, 1 thread (\`RAYON_NUM_THREADS=1\`${busy(n1)})`, n1));
  if (cpu && !cpu.skipped) p(row('browser, wasm CPU (CPU network, simd128, 1 thread)', cpu));
  if (relaxed && !relaxed.skipped && !relaxed.error) p(row('**browser, wasm CPU (CPU network, relaxed SIMD, 1 thread)**', relaxed));
  if (gpu && !gpu.skipped && !gpu.error) {
    const a = gpu.adapter ?? {};
    const label = `browser, WebGPU (${[a.vendor, a.architecture].filter(Boolean).join(' ')}${a.isFallbackAdapter ? ', software fallback' : ''}${gpu.small_sizes ? `; batch ${gpu.predict?.batch}` : ''})`;
    p(row(label, gpu));
  }
  if (ort && !ort.skipped && !ort.error) {
    p(row(`ONNX Runtime Web ${ort.version ?? ''}, wasm SIMD, ${ort.threads} thread (naive = one batch of 241 / 331)`, ort));
  }
  p();
  if (gpu?.small_sizes) p(`WebGPU ran on a software fallback adapter (${gpu.adapter?.architecture || 'SwiftShader'}): a working check with small sizes, not a GPU speed.`);
  if (gpu?.skipped) p(`WebGPU: skipped (${gpu.skipped}).`);
  if (relaxed?.skipped || relaxed?.error) p(`wasm CPU, relaxed SIMD: ${relaxed.skipped ?? relaxed.error}.`);
  if (ort?.skipped || ort?.error) p(`ONNX Runtime Web: ${ort.skipped ?? ort.error}.`);
  if (engines) {
    p('Naive ISM on Camformer runs the 241 / 331 sequences through the predictor in batches of 256; ONNX Runtime gets each as one batch.');
    p();
  }

  p('| load and size | measured |');
  p('| --- | --- |');
  const app = r.app;
  if (app?.visits?.length) {
    for (const v of app.visits) p(`| app page \`www/index.html\`, ${v.visit}: navigation to ready / to first prediction | ${ms(v.readyMs)} / ${ms(v.firstPredictionMs)} (backend ${v.backend}) |`);
  }
  const page = r.browser?.page;
  const load = r.browser?.camformer?.load;
  if (page?.firstPredictionMs) p(`| benchmark page: navigation to first prediction | ${ms(page.firstPredictionMs)} (wasm fetch + compile ${ms(load?.wasmInitMs)}, model load ${ms(load?.modelLoadMs)}, first predict ${ms(page.firstPredictMs)}) |`);
  if (cpu?.model_reload_ms) p(`| model load, wasm CPU: first / median of reloads | ${ms(load?.modelLoadMs)} / ${ms(median(cpu.model_reload_ms))} |`);
  if (gpu?.model_load_ms !== undefined) p(`| model load, WebGPU | ${ms(gpu.model_load_ms)} (${gpu.module}; wasm fetch + compile ${ms(gpu.wasm_init_ms)}) |`);
  if (n2) p(`| model load, native | ${ms(n2.load_s * 1000)} |`);
  if (ort?.session_create_ms !== undefined) p(`| ONNX Runtime Web: runtime + session load | ${ms(ort.session_create_ms)} |`);
  if (app?.download) {
    const d = app.download;
    const top = d.files.slice(0, 3).map((f) => `${f.path} ${mb(f.gzip9)}`).join(', ');
    p(`| download of the default page (${d.files.length} files, backend ${app.visits?.[0]?.backend ?? '?'}), gzip -9 / raw | **${mb(d.total.gzip9)}** / ${mb(d.total.bytes)} (${top}) |`);
  }
  if (r.gpu_module) p(`| WebGPU module, fetched only when the backend is WebGPU (${r.gpu_module.files.map((f) => f.path).join(' + ')}), gzip -9 / raw | ${mb(r.gpu_module.gzip9)} / ${mb(r.gpu_module.bytes)} |`);
  if (r.wasm_simd128) p(`| pkg/camformer_bg.wasm uses wasm SIMD (simd128) | ${r.wasm_simd128.simd128 === null ? 'unknown' : r.wasm_simd128.simd128 ? 'yes' : '**no**'} (${r.wasm_simd128.how}) |`);
  p();

  p('| goal | measured | |');
  p('| --- | --- | --- |');
  const goal = (text, measured, ok) => p(`| ${text} | ${measured} | ${ok === null || ok === undefined ? '?' : ok ? 'met' : '**not met**'} |`);
  const tw = cpu?.predict?.seq_per_s;
  if (tw && n2) {
    const r2 = tw / n2.predict.seq_per_s;
    const r1 = n1 ? tw / n1.predict.seq_per_s : NaN;
    goal('wasm CPU throughput >= 50% of native', `${(100 * r2).toFixed(0)}% of native ${n2.threads} threads${n1 ? `; ${(100 * r1).toFixed(0)}% of native 1 thread` : ''}`, r2 >= 0.5);
  }
  if (tw && relaxed?.predict) {
    const g = relaxed.predict.seq_per_s / tw;
    const gi = cpu.ism.fast_random_region.median_s / relaxed.ism.fast_random_region.median_s;
    goal('relaxed SIMD >= 1.3x per core (1 worker)', `throughput ${g.toFixed(2)}x (${rate(relaxed.predict.seq_per_s)} vs ${rate(tw)} seq/s); fast ISM ${gi.toFixed(2)}x`, g >= 1.3);
  }
  const fast240 = cpu?.ism?.fast_random_region?.median_s;
  const naive240 = cpu?.ism?.naive_random_region?.median_s;
  if (fast240 !== undefined) goal('ISM of one sequence (240 mutants), wasm CPU, < 2 s', `fast ${secs(fast240)}; naive ${secs(naive240)}`, fast240 < 2);
  const firstVisit = app?.visits?.[0];
  if (firstVisit) goal('page ready < 2 s (app page, first visit)', `${ms(firstVisit.readyMs)} (first prediction ${ms(firstVisit.firstPredictionMs)})`, firstVisit.readyMs < 2000);
  if (app?.download) goal('default page downloads < 4 MB gzip', mb(app.download.total.gzip9), app.download.total.gzip9 < 4e6);
  const speedup = (pos) => cpu?.ism?.[`naive_${pos}`]?.median_s / cpu?.ism?.[`fast_${pos}`]?.median_s;
  if (fast240 !== undefined) goal('fast ISM >= 3x faster than naive (Mini, browser)', `${speedup('random_region').toFixed(1)}x (240 mutants), ${speedup('all_positions').toFixed(1)}x (330)`, speedup('random_region') >= 3 && speedup('all_positions') >= 3);
  if (ort?.predict && tw) goal('beat ONNX Runtime Web (1 thread): throughput', `${rate(tw)} vs ${rate(ort.predict.seq_per_s)} seq/s (${(tw / ort.predict.seq_per_s).toFixed(2)}x)`, tw > ort.predict.seq_per_s);
  const ortIsm = ort?.ism?.naive_all_positions?.median_s;
  const ourFast = cpu?.ism?.fast_all_positions?.median_s;
  const ourNaive = cpu?.ism?.naive_all_positions?.median_s;
  if (ortIsm && ourFast) goal('beat ONNX Runtime Web: ISM of all 330 mutants (its naive batch of 331)', `ours fast ${secs(ourFast)}, naive ${secs(ourNaive)}; ONNX Runtime Web ${secs(ortIsm)}`, ourFast < ortIsm);
  p();
  const pool = r.pool;
  if (pool?.runs?.length) {
    // Speed-ups against 1 worker of the same build; the last column against simd128 with as
    // many workers.
    const one = (simd, field) => pool.runs.find((x) => x.workers === 1 && (x.simd ?? 'simd128') === simd)?.[field];
    const same = (x) => pool.runs.find((y) => y.workers === x.workers && (y.simd ?? 'simd128') === 'simd128');
    p(`Worker pool (app page, CPU, \`element.predict()\` of ${pool.runs[0].sequences} sequences split across the workers; the browser reports ${pool.cores} cores):`);
    p();
    p('| workers | build | throughput (seq/s) | vs 1 worker | ISM of one sequence (ms; workers used) | vs 1 worker | relaxed vs simd128 (throughput / ISM) | wasm memory per worker | renderer process (RSS) |');
    p('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    const mib = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;
    for (const x of pool.runs) {
      const simd = x.simd ?? 'simd128';
      const base = one(simd, 'seq_per_s');
      const ismBase = one(simd, 'ism_ms');
      const mem = x.wasm_memory_bytes?.length ? mib(x.wasm_memory_bytes[0]) : '–';
      const ism = x.ism_ms ? `${x.ism_ms.toFixed(1)} (${x.ism_workers})` : '–';
      const ismVs = x.ism_ms && ismBase ? `${(ismBase / x.ism_ms).toFixed(2)}x` : '–';
      const s = same(x);
      const vsSimd = simd === 'relaxed' && s ? `${(x.seq_per_s / s.seq_per_s).toFixed(2)}x / ${(s.ism_ms / x.ism_ms).toFixed(2)}x` : '–';
      p(`| ${x.workers} | ${simd} | ${rate(x.seq_per_s)} | ${base ? `${(x.seq_per_s / base).toFixed(2)}x` : '–'} | ${ism} | ${ismVs} | ${vsSimd} | ${mem} | ${x.renderer_rss_bytes ? mib(x.renderer_rss_bytes) : '–'} |`);
    }
    const builds = pool.runs.filter((x) => (x.simd ?? 'simd128') === (pool.runs[0].simd ?? 'simd128'));
    const [a, b] = [builds[0], builds.at(-1)];
    if (a !== b && a.renderer_rss_bytes && b.renderer_rss_bytes) {
      p();
      p(`Each worker beyond the first added ${mib((b.renderer_rss_bytes - a.renderer_rss_bytes) / (b.workers - a.workers))} to the renderer's resident memory (${a.workers} -> ${b.workers} workers).`);
    }
    p();
  }
  const checks = r.browser?.checks ?? {};
  const c = [];
  if (checks.ort_vs_cpu_max_abs_diff !== null && checks.ort_vs_cpu_max_abs_diff !== undefined) c.push(`ONNX Runtime Web vs wasm CPU ${checks.ort_vs_cpu_max_abs_diff.toExponential(1)}`);
  if (checks.webgpu_vs_cpu_max_abs_diff !== null && checks.webgpu_vs_cpu_max_abs_diff !== undefined) c.push(`WebGPU vs wasm CPU ${checks.webgpu_vs_cpu_max_abs_diff.toExponential(1)}`);
  if (Number.isFinite(checks.relaxed_vs_simd128_max_abs_diff)) c.push(`relaxed-SIMD vs simd128 build ${checks.relaxed_vs_simd128_max_abs_diff.toExponential(1)}`);
  if (r.checks?.native_vs_wasm_max_abs_diff !== undefined) c.push(`native vs wasm CPU ${r.checks.native_vs_wasm_max_abs_diff.toExponential(1)}`);
  const fvn = cpu?.ism?.fast_vs_naive_max_abs_diff_all_positions;
  if (fvn !== undefined) c.push(`fast vs naive ISM (wasm) ${fvn.toExponential(1)}`);
  if (c.length) p(`Same model everywhere: max |difference| of the first 8 predictions: ${c.join('; ')}.`);
  if (r.warnings?.length) {
    p();
    for (const w of r.warnings) p(`**Warning:** ${w}`);
  }
  return lines.join('\n');
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

// ---- main ----

const results = {
  date: new Date().toISOString(),
  options: { ...OPTS, out: path.relative(ROOT, OPTS.out) },
  machine: { cpu: os.cpus()[0]?.model ?? '?', cores: os.cpus().length, loadavg_start: os.loadavg(), node: process.version },
  errors: [],
};

for (const f of ['pkg/camformer.js', 'pkg/camformer_bg.wasm']) {
  if (!existsSync(path.join(ROOT, f))) {
    log(`${f} is missing: build the package first (scripts/build-wasm.sh)`);
    process.exit(2);
  }
}
results.wasm_simd128 = wasmSimd128(path.join(ROOT, 'pkg', 'camformer_bg.wasm'));
{
  const files = ['pkg/camformer-gpu_bg.wasm', 'pkg/camformer-gpu.js']
    .filter((f) => existsSync(path.join(ROOT, f)))
    .map((f) => {
      const buf = readFileSync(path.join(ROOT, f));
      return { path: f, bytes: buf.length, gzip9: gzipSize(buf) };
    });
  if (files.length) {
    results.gpu_module = { files, bytes: files.reduce((a, f) => a + f.bytes, 0), gzip9: files.reduce((a, f) => a + f.gzip9, 0) };
  }
}

if (OPTS.browser && OPTS.ort) {
  try {
    results.onnx = await ensureOnnx();
  } catch (err) {
    results.errors.push(`ONNX export: ${err.message}`);
    log(`ONNX export failed (${err.message}); the page will report ONNX Runtime Web as skipped`);
  }
}

if (OPTS.native) {
  try {
    results.native = await native();
  } catch (err) {
    results.errors.push(`native: ${err.message}`);
    log(`native benchmark failed: ${err.message}`);
  }
}

if (OPTS.browser || OPTS.app || OPTS.pool) {
  const served = [];
  const { server, origin } = await serve({ port: 0 });
  server.on('request', (req) => served.push(req.url));
  try {
    if (OPTS.browser) {
      try {
        results.browser = await benchPage(origin);
        results.errors.push(...(results.browser.errors ?? []).map((e) => `benchmark page: ${e}`));
      } catch (err) {
        results.errors.push(`benchmark page: ${err.message}`);
        log(`benchmark page failed: ${err.message}`);
      }
    }
    if (OPTS.pool) {
      try {
        results.pool = await poolPage(origin);
      } catch (err) {
        results.errors.push(`worker pool: ${err.message}`);
        log(`worker pool failed: ${err.message}`);
      }
    }
    if (OPTS.app) {
      try {
        const sample = readFileSync(path.join(ROOT, 'tests', 'data', 'dream_test_sample.tsv'), 'utf8').split('\n');
        const col = sample[0].split('\t').indexOf('seq');
        results.app = await appPage(origin, served, sample[1].split('\t')[col]);
      } catch (err) {
        results.errors.push(`app page: ${err.message}`);
        log(`app page failed: ${err.message}`);
      }
    }
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

const wasmFirst = results.browser?.camformer?.cpu?.first_predictions;
const nativeFirst = results.native?.default_threads?.first_predictions;
if (wasmFirst && nativeFirst) {
  results.checks = { native_vs_wasm_max_abs_diff: Math.max(...nativeFirst.map((v, i) => Math.abs(v - wasmFirst[i]))) };
}
// Every engine must have run the same weights; a stale pkg/ (built before models/default
// changed) shows here. Timings stay comparable (same architecture), the predictions do not.
results.warnings = [];
const sameModel = [
  ['native', results.checks?.native_vs_wasm_max_abs_diff],
  ['ONNX Runtime Web', results.browser?.checks?.ort_vs_cpu_max_abs_diff],
  ['WebGPU', results.browser?.checks?.webgpu_vs_cpu_max_abs_diff],
];
const wasmSha = results.browser?.camformer?.load?.weights_sha256;
const diskSha = JSON.parse(readFileSync(path.join(ROOT, 'models', 'default', 'manifest.json'), 'utf8')).weights?.sha256;
if (wasmSha && diskSha && wasmSha !== diskSha) {
  results.warnings.push(`pkg/ is stale: its compiled-in model has weights sha256 ${wasmSha.slice(0, 12)}..., models/default ${diskSha.slice(0, 12)}... (native and the ONNX file use the latter): rebuild pkg/ (scripts/build-wasm.sh) before quoting the agreement checks; timings are comparable (same architecture).`);
}
for (const [engine, d] of sameModel) {
  if (d !== undefined && d !== null && !(d <= 1e-3)) {
    results.warnings.push(`${engine} and the wasm CPU module predict differently (max |difference| ${d.toExponential(1)} > 1e-3)${wasmSha !== diskSha ? ' (expected with the stale pkg/ above)' : ''}.`);
  }
}
results.machine.loadavg_end = os.loadavg();

mkdirSync(path.dirname(OPTS.out), { recursive: true });
writeFileSync(OPTS.out, `${JSON.stringify(results, null, 1)}\n`);
const markdown = report(results);
console.log(markdown);
writeFileSync(OPTS.out.replace(/\.json$/, '.md'), `${markdown}\n`);
const problems = [...(results.browser?.problems ?? []), ...(results.app?.problems ?? []), ...(results.pool?.problems ?? [])];
if (problems.length) log(`\nbrowser problems:\n  ${problems.join('\n  ')}`);
if (results.machine.loadavg_start[0] > 1.5) log(`\nnote: load average ${results.machine.loadavg_start[0].toFixed(1)} at the start on ${results.machine.cores} cores: timings are noisy; rerun on an idle machine.`);
for (const w of results.warnings) log(`\nwarning: ${w}`);
if (results.errors.length) {
  log(`\nerrors:\n  ${results.errors.join('\n  ')}`);
}
log(`\nwrote ${path.relative(ROOT, OPTS.out)} and ${path.relative(ROOT, OPTS.out.replace(/\.json$/, '.md'))}`);
process.exit(results.errors.length ? 1 : 0);
