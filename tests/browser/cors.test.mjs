// The element served from another origin than the page (a wiki whose file store is on another
// host): with CORS headers (scripts/serve.mjs --cors) it works, workers included; without them
// the browser refuses the module script, and the text inside the tag (the fallback README.md
// asks for) stays visible; when the element itself loads but its wasm glue or module cannot,
// the element shows why inside itself (status bar), naming the file and CORS. A missing wasm
// file on the page's own origin is reported inside the element too.

import http from 'node:http';
import { createStaticServer } from '../../scripts/serve.mjs';
import { expectedCases } from './data.mjs';
import { assertClose, check, cpuWasmOf, inApp, openPage, startServer, waitReady } from './harness.mjs';

/**
 * A file store that sends CORS headers for every file but the CPU module's glue (a store set up
 * for some files only). Playwright's request interception cannot stand in: it adds CORS headers
 * to the responses it fulfils.
 */
async function storeWithoutCorsFor(root, file) {
  const withCors = createStaticServer(root, { cors: true }).listeners('request')[0];
  const without = createStaticServer(root, { cors: false }).listeners('request')[0];
  const server = http.createServer((req, res) => (new URL(req.url, 'http://x').pathname === file ? without : withCors)(req, res));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** Waits for the element's error box (status bar) and returns its text. */
async function elementError(page) {
  const box = inApp(page, '.cf-status .cf-alert.cf-error');
  await box.waitFor({ state: 'visible', timeout: 120_000 });
  return box.textContent();
}

export const tests = [
  {
    name: 'cors: the element from another origin works with CORS headers, shows its fallback text without them, and says inside itself when its module cannot load',
    async run({ context, origin, root, log }) {
      const cases = await expectedCases(context, origin);
      const store = await startServer(root, { cors: true });
      const bare = await startServer(root, { cors: false });
      try {
        // 1. A file store that sends CORS headers: the element works, with its worker pool.
        const ok = await openPage(context, { origin, others: [store.origin] });
        await ok.page.goto(`${origin}/tests/browser/embed-cross.html?store=${encodeURIComponent(store.origin)}`);
        const { detail } = await waitReady(ok.page);
        check(detail.backend === 'cpu', `ready on the CPU (${detail.backend})`);
        check(!(await ok.page.locator('.camformer-fallback').isVisible()), 'the fallback text is hidden once the element runs');
        const fetched = ok.requests.filter((u) => u.startsWith(store.origin)).map((u) => u.slice(store.origin.length));
        for (const want of ['/pkg/camformer-predictor.js', '/pkg/camformer.js', cpuWasmOf(detail)]) check(fetched.includes(want), `${want} came from the file store`);
        const predictions = await ok.page.evaluate((s) => document.querySelector('camformer-predictor').predict(s), cases.sequences);
        assertClose(predictions, cases.predictions, 1e-4, 'predictions of the element from another origin');
        const workers = await ok.page.evaluate(() => document.querySelector('camformer-predictor').workers);
        check(workers === detail.workers && workers >= 1, `el.workers ${workers}`);
        log(`from another origin with CORS: ready, ${workers} workers, predictions equal the CLI's`);
        ok.assertClean();
        await ok.page.close();

        // 2. A file store without CORS headers: the browser refuses the module script; what the
        // page author put inside the tag stays visible instead of an empty box.
        const blocked = await openPage(context, { origin, others: [bare.origin] });
        const refused = blocked.page.waitForEvent('requestfailed', { predicate: (r) => r.url().endsWith('/pkg/camformer-predictor.js'), timeout: 30_000 });
        await blocked.page.goto(`${origin}/tests/browser/embed-cross.html?store=${encodeURIComponent(bare.origin)}`);
        await refused;
        await blocked.page.waitForTimeout(500);
        check(await blocked.page.evaluate(() => customElements.get('camformer-predictor') === undefined), 'the module was refused (no CORS)');
        check(await blocked.page.locator('.camformer-fallback').isVisible(), 'the fallback text inside the tag is shown');
        await blocked.page.close();

        // 3. The element loads, but its glue comes without the CORS header (a file store that
        // allows only some files): the element says inside itself what failed and why.
        const some = await storeWithoutCorsFor(root, '/pkg/camformer.js');
        const partial = await openPage(context, { origin, others: [some.origin], allowConsole: [/CORS|Failed to load|module script|camformer\.js/i] });
        await partial.page.goto(`${origin}/tests/browser/embed-cross.html?store=${encodeURIComponent(some.origin)}`);
        const text = await elementError(partial.page);
        log(`glue without CORS: "${text.slice(0, 160)}…"`);
        check(text.includes('camformer.js') && text.includes('Access-Control-Allow-Origin'), `the element names the file and CORS: ${text}`);
        check(await partial.page.evaluate(() => document.querySelector('camformer-predictor').ready.then(() => false, () => true)), 'ready rejects');
        await partial.page.close();
        await some.close();

        // 4. Same origin, the CPU module's files missing (both builds: the relaxed-SIMD one is
        // tried first, then the simd128 one): an error inside the element naming the file.
        const missing = await openPage(context, { origin, allowConsole: [/404|Failed to load/i] });
        await missing.page.route(/\/pkg\/camformer(-relaxed)?_bg\.wasm$/, (route) => route.fulfill({ status: 404, contentType: 'text/plain', body: 'not found' }));
        await missing.page.goto(`${origin}/tests/browser/embed.html`);
        const gone = await elementError(missing.page);
        check(/camformer_bg\.wasm.*HTTP 404/.test(gone), `the element names the missing file: ${gone}`);
        check(!gone.includes('Access-Control'), 'no CORS advice for a same-origin file');
        await missing.page.close();
      } finally {
        await store.close();
        await bare.close();
      }
    },
  },
];
