// The embedding contract: a bare page with only the script tag and <camformer-predictor>
// (tests/browser/embed.html) gets a working element: ready, backend, predict(), ism(), events,
// attributes, registered once, and a host page's CSS does not reach inside.

import { assertBuiltInModelIsDefault, expectedCases, referencePage } from './data.mjs';
import { assertClose, check, CPU_WASM, cpuWasmOf, eventsOf, inApp, openPage, recordEvents, waitReady } from './harness.mjs';

export const tests = [
  {
    name: 'embed: the custom element works in a bare page (API, events, attributes, isolation)',
    async run({ context, origin, log }) {
      const cases = await expectedCases(context, origin);
      const ref = await referencePage(context, origin);
      const app = await openPage(context, { origin });
      await recordEvents(app.page);
      const page = app.page;
      await page.goto(`${origin}/tests/browser/embed.html`);
      const { detail, sinceNavigationMs } = await waitReady(page);
      log(`embedded element ready ${sinceNavigationMs.toFixed(0)} ms after navigation`);
      check(detail.backend === 'cpu', `backend="cpu" gives the CPU backend (got ${detail.backend})`);
      assertBuiltInModelIsDefault(detail);
      check((await page.evaluate(() => document.querySelector('camformer-predictor').backend)) === 'cpu', 'the backend property');
      check(typeof detail.manifest?.name === 'string' && detail.parameterCount > 0, 'ready carries the manifest and parameter count');
      check((await eventsOf(page, 'ready')).length === 1, 'one ready event');
      const workers = await page.evaluate(() => ({ el: document.querySelector('camformer-predictor').workers, cores: navigator.hardwareConcurrency }));
      check(workers.el === detail.workers && workers.el === Math.min(workers.cores || 1, 4), `el.workers: ${workers.el} (default: one per core, at most 4; ${workers.cores} cores)`);

      // Only the element and the CPU module (glue + wasm) are requested, all from beside the element.
      const fetched = app.requests.filter((u) => u.startsWith(origin)).map((u) => u.slice(origin.length));
      // One build of the CPU module: the relaxed-SIMD one, as this Chromium has relaxed SIMD.
      check(detail.simd === 'relaxed', `the relaxed-SIMD build runs where the browser has it (${detail.simd})`);
      for (const want of ['/pkg/camformer-predictor.js', '/pkg/camformer.js', cpuWasmOf(detail)]) {
        check(fetched.includes(want), `${want} was loaded (requests: ${fetched.join(', ')})`);
      }
      check(!fetched.includes(CPU_WASM.simd128), 'the simd128 build is not fetched as well');
      check(!fetched.some((u) => u.startsWith('/www/')), 'the built element needs nothing from www/');
      check(!fetched.some((u) => u.includes('camformer-gpu')), 'backend="cpu" never fetches the WebGPU module');

      // predict(): numbers in order, a prediction event, progress events.
      const t0 = Date.now();
      const predictions = await page.evaluate((s) => document.querySelector('camformer-predictor').predict(s), cases.sequences);
      const ms = Date.now() - t0;
      check(Array.isArray(predictions), 'predict resolves to an array');
      const worst = assertClose(predictions, cases.predictions, 1e-4, 'element.predict (CPU)');
      log(`element.predict: ${predictions.length} sequences in ${ms} ms (${((predictions.length / ms) * 1000).toFixed(0)}/s), max |diff| ${worst.toExponential(2)}`);
      check((await eventsOf(page, 'prediction')).length === 1, 'a prediction event');
      check((await eventsOf(page, 'progress')).length >= 1, 'progress events');

      // A bad sequence: the promise rejects with the sequence and position, an error event fires.
      const bad = await page.evaluate(async (good) => {
        try {
          // 70 good sequences (several prediction chunks), then one with 'Z' at position 10.
          await document.querySelector('camformer-predictor').predict([...Array(70).fill(good), `${'A'.repeat(9)}Z${'A'.repeat(70)}`]);
          return 'resolved';
        } catch (err) {
          return err.message;
        }
      }, cases.sequences[0]);
      check(/sequence 71\b/.test(bad) && /position 10\b/.test(bad), `a bad sequence rejects naming its index and position: ${bad}`);
      check((await eventsOf(page, 'error')).length >= 1, 'an error event');

      // ism(): same as the API in a bare page.
      const seq = cases.sequences[0];
      const t1 = Date.now();
      const ism = await page.evaluate((s) => document.querySelector('camformer-predictor').ism(s), seq);
      log(`element.ism: ${Date.now() - t1} ms`);
      const expected = await ref.ism(seq);
      check(ism.width === 80 && ism.matrix.length === 320, 'ism returns a 4 x 80 matrix');
      assertClose(ism.matrix, expected.matrix, 1e-4, 'element.ism');
      check((await eventsOf(page, 'ism')).length === 1, 'an ism event');

      // Registered once: a second copy of the module (another URL) defines nothing twice.
      await page.evaluate(() => import('/pkg/camformer-predictor.js?copy=2'));
      check(await page.evaluate(() => customElements.get('camformer-predictor') !== undefined), 'still defined');

      // The panels attribute.
      await page.evaluate(() => document.querySelector('camformer-predictor').setAttribute('panels', 'input,results'));
      check(await inApp(page, 'section[data-panel="input"]').isVisible(), 'input panel shown');
      check(!(await inApp(page, 'section[data-panel="ism"]').isVisible()), 'ism panel hidden');
      check(!(await inApp(page, 'section[data-panel="model"]').isVisible()), 'model panel hidden');

      // The model attribute: a manifest URL (weights beside it) reloads the model; `ready` is a
      // new promise that resolves once it is loaded, and predictions are the same (same weights).
      const reloaded = await page.evaluate(async () => {
        const el = document.querySelector('camformer-predictor');
        const before = el.ready;
        el.setAttribute('model', '/models/default/manifest.json');
        await new Promise((resolve) => setTimeout(resolve, 0));
        const detail = await el.ready;
        return { fresh: el.ready !== before, name: detail.manifest.name, backend: detail.backend };
      });
      check(reloaded.fresh && reloaded.backend === 'cpu', 'changing the model attribute reloads, with a new ready promise');
      check(app.requests.some((u) => u.endsWith('/models/default/model.safetensors')), 'the weights beside the manifest were loaded');
      const again = await page.evaluate((s) => document.querySelector('camformer-predictor').predict(s), cases.sequences.slice(0, 5));
      assertClose(again, cases.predictions.slice(0, 5), 1e-4, 'predictions with the model loaded by URL');

      // A wiki skin's CSS does not reach the element's insides.
      await page.addStyleTag({ content: 'body { font-family: serif; color: rgb(200, 0, 0); line-height: 3 } button { background: rgb(255, 0, 0) !important; } textarea { display: none !important }' });
      const styles = await page.evaluate(() => {
        const root = document.querySelector('camformer-predictor').shadowRoot;
        const button = root.querySelector('button.cf-predict');
        const cs = getComputedStyle(button);
        return { background: cs.backgroundColor, font: getComputedStyle(root.querySelector('h2')).fontFamily, color: getComputedStyle(root.querySelector('h2')).color, textarea: getComputedStyle(root.querySelector('textarea')).display };
      });
      check(styles.background !== 'rgb(255, 0, 0)', `page button CSS leaked in: ${styles.background}`);
      check(!/^serif/.test(styles.font), `page font leaked in: ${styles.font}`);
      check(styles.color !== 'rgb(200, 0, 0)', `page colour leaked in: ${styles.color}`);
      check(styles.textarea !== 'none', 'page textarea rule leaked in');
      ref.assertClean();
      app.assertClean();
    },
  },
];
