// The two wasm modules: the default page on a machine without a real GPU fetches only the
// CPU-only module (camformer.js + camformer_bg.wasm), never the WebGPU one
// (camformer-gpu.js + camformer-gpu_bg.wasm); what the page downloads is measured.

import { check, openPage, waitReady } from './harness.mjs';

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
      check(paths.includes('/pkg/camformer.js') && paths.includes('/pkg/camformer_bg.wasm'), `the CPU module is loaded (${paths.join(', ')})`);
      check(!paths.some((p) => p.includes('camformer-gpu')), `the WebGPU module must not be requested: ${paths.filter((p) => p.includes('gpu')).join(', ')}`);
      const total = sizes.reduce((a, s) => a + Math.max(0, s.bytes) + Math.max(0, s.headers), 0);
      const wasm = sizes.filter((s) => s.url.endsWith('.wasm')).reduce((a, s) => a + s.bytes, 0);
      log(`default page downloaded ${(total / 1e6).toFixed(2)} MB in ${sizes.length} requests (wasm ${(wasm / 1e6).toFixed(2)} MB, uncompressed: the test server does not gzip)`);
      app.assertClean();
    },
  },
];
