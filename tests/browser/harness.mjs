// Shared machinery of the browser tests: the static server, Chromium through playwright-core,
// and pages that fail the test on any console error, page error, failed request or request
// that leaves the origin.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, serve } from '../../scripts/serve.mjs';

export { ROOT };

/** Debian's Chromium (npx playwright install would download a browser; this machine has one). */
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Starts the static server on a free port of 127.0.0.1.
 * @param {string} [root]
 * @param {{cors?: boolean, host?: string}} [options] `cors`: CORS headers (scripts/serve.mjs
 *   --cors); `host`: another name for this machine gives another origin (localhost vs 127.0.0.1)
 * @returns {Promise<{origin: string, close: () => Promise<void>}>}
 */
export async function startServer(root = process.env.CAMFORMER_WEB_ROOT ?? ROOT, { cors = false, host = '127.0.0.1' } = {}) {
  const { server, origin } = await serve({ port: 0, root, cors, host });
  return { origin, close: () => new Promise((resolve) => server.close(resolve)) };
}

/**
 * Launches Chromium with a fresh profile. WebGPU runs add --enable-unsafe-webgpu (SwiftShader
 * without a GPU) and, like every run, never --disable-gpu.
 * @param {{webgpu?: boolean}} [options]
 * @returns {Promise<{context: import('playwright-core').BrowserContext, close: () => Promise<void>}>}
 */
export async function launch({ webgpu = false } = {}) {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'camformer-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...FLAGS, ...(webgpu ? ['--enable-unsafe-webgpu'] : [])],
    acceptDownloads: true,
    viewport: { width: 1280, height: 1000 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Opens a page and watches it. `problems` collects console errors, page errors, failed
 * requests, HTTP errors and requests outside `allowed` (same origin, blob:, data:).
 * @param {import('playwright-core').BrowserContext} context
 * @param {{origin?: string, file?: boolean, allowConsole?: RegExp[], others?: string[]}} options `file`: a file://
 *   page, whose only allowed scheme besides blob:/data: is file:; `others`: more origins the
 *   page may use (an element served from another origin)
 * @returns {Promise<{page: import('playwright-core').Page, problems: string[], requests: string[], assertClean: () => void}>}
 */
export async function openPage(context, { origin = '', file = false, allowConsole = [], others = [] } = {}) {
  const page = await context.newPage();
  const problems = [];
  const requests = [];
  const within = (url, o) => url === o || url.startsWith(`${o}/`);
  const allowed = (url) =>
    url.startsWith('blob:') || url.startsWith('data:') || (file ? url.startsWith('file:') : [origin, ...others].some((o) => within(url, o)));
  const onConsole = (where) => (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    if (allowConsole.some((re) => re.test(text))) return;
    problems.push(`console.error (${where}): ${text}`);
  };
  page.on('console', onConsole('page'));
  page.on('worker', (worker) => worker.on('console', onConsole('worker')));
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('request', (req) => {
    requests.push(req.url());
    if (!allowed(req.url())) problems.push(`request leaves the origin: ${req.url()}`);
  });
  page.on('requestfailed', (req) => {
    // A download's navigation is aborted by design; it is still checked by the `request' rule.
    if (req.failure()?.errorText === 'net::ERR_ABORTED' && req.url().startsWith('blob:')) return;
    problems.push(`request failed: ${req.url()} (${req.failure()?.errorText})`);
  });
  page.on('response', (res) => {
    if (res.status() >= 400) problems.push(`HTTP ${res.status()}: ${res.url()}`);
  });
  return {
    page,
    problems,
    requests,
    assertClean() {
      if (problems.length) throw new Error(`the page reported problems:\n  ${problems.join('\n  ')}`);
    },
  };
}

/**
 * Waits until the page's <camformer-predictor> is ready; returns its `ready` detail and the
 * time from navigation start to ready as seen by the page.
 * @param {import('playwright-core').Page} page
 * @param {number} [timeout] ms
 * @returns {Promise<{detail: object, sinceNavigationMs: number}>}
 */
export async function waitReady(page, timeout = 120_000) {
  return page.evaluate(
    async (ms) => {
      await customElements.whenDefined('camformer-predictor');
      const el = document.querySelector('camformer-predictor');
      const detail = await Promise.race([
        el.ready,
        new Promise((_, reject) => setTimeout(() => reject(new Error(`not ready after ${ms} ms`)), ms)),
      ]);
      return { detail, sinceNavigationMs: performance.now() };
    },
    timeout,
  );
}

/**
 * A locator inside the element's shadow root (Playwright's CSS pierces open shadow roots).
 * @param {import('playwright-core').Page} page
 * @param {string} selector
 */
export function inApp(page, selector) {
  return page.locator(`camformer-predictor ${selector}`);
}

/**
 * Reads a download started by `trigger`.
 * @param {import('playwright-core').Page} page
 * @param {() => Promise<void>} trigger
 * @returns {Promise<{name: string, bytes: Buffer}>}
 */
export async function downloadOf(page, trigger) {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), trigger()]);
  const stream = await download.createReadStream();
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return { name: download.suggestedFilename(), bytes: Buffer.concat(chunks) };
}

/**
 * Asserts |actual - expected| <= tol * max(1, |expected|) element-wise.
 * @param {number[]} actual
 * @param {number[]} expected
 * @param {number} tol
 * @param {string} what
 * @returns {number} the largest absolute difference
 */
export function assertClose(actual, expected, tol, what) {
  if (actual.length !== expected.length) throw new Error(`${what}: ${actual.length} values, expected ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    worst = Math.max(worst, d);
    if (!(d <= tol * Math.max(1, Math.abs(expected[i])))) {
      throw new Error(`${what}: value ${i}: ${actual[i]} vs expected ${expected[i]} (|difference| ${d.toExponential(2)} > ${tol})`);
    }
  }
  return worst;
}

/**
 * Pearson correlation of two equal-length number arrays, computed independently of the app's
 * own (www/app/stats.js) so the tests check it.
 * @param {number[]} x
 * @param {number[]} y
 */
export function pearson(x, y) {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/**
 * Throws with `message` unless `condition`.
 * @param {unknown} condition
 * @param {string} message
 */
export function check(condition, message) {
  if (!condition) throw new Error(message);
}

/**
 * Records the element's public events (ready, prediction, ism, robustness, variants, design,
 * motif, attribution, dream, error, progress) in
 * `window.__camformerEvents` from the start of every page load.
 * @param {import('playwright-core').Page} page
 */
export async function recordEvents(page) {
  await page.addInitScript(() => {
    window.__camformerEvents = [];
    for (const type of ['ready', 'prediction', 'ism', 'robustness', 'variants', 'design', 'motif', 'attribution', 'dream', 'error', 'progress']) {
      document.addEventListener(type, (e) => {
        if (e.target?.localName === 'camformer-predictor') window.__camformerEvents.push({ type, detail: e.detail });
      });
    }
  });
}

/**
 * The recorded events of one type (see recordEvents).
 * @param {import('playwright-core').Page} page
 * @param {string} type
 * @returns {Promise<object[]>} their details
 */
export function eventsOf(page, type) {
  return page.evaluate((t) => window.__camformerEvents.filter((e) => e.type === t).map((e) => e.detail), type);
}

/**
 * The two builds of the CPU wasm module, by the `simd` of a ready detail: the relaxed-SIMD one
 * (fused multiply-add; Chromium has relaxed SIMD) and the simd128 one. Both run with camformer.js.
 */
export const CPU_WASM = Object.freeze({ relaxed: '/pkg/camformer-relaxed_bg.wasm', simd128: '/pkg/camformer_bg.wasm' });

/** The path of the CPU module build the element says it runs (detail.simd), checked to exist. */
export function cpuWasmOf(detail) {
  const file = CPU_WASM[detail?.simd];
  check(file, `the ready detail names the CPU module's build (simd: ${detail?.simd})`);
  return file;
}
