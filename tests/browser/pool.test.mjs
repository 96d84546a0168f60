// The worker pool (www/app/pool.js): the `workers` attribute and `el.workers`; a batch split
// across two workers gives the same predictions, in the same order, as one worker; a list of
// sequences through ism() equals one call per sequence; the ISM of one sequence split by positions
// over two workers equals the whole ISM; Cancel keeps the predictions made
// (`partial`), which equal those of a full run; a model loaded in the Model panel is loaded
// into every worker. Nothing here is timed: the machine's cores may be busy with other work.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { dreamSample } from './data.mjs';
import { assertClose, check, eventsOf, inApp, openPage, recordEvents, waitReady } from './harness.mjs';

/** n random 80-bp regions (a fixed seed, so every run sees the same). */
function randomRegions(n, seed = 11) {
  let x = seed;
  const rand = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: n }, () => Array.from({ length: 80 }, () => 'ACGT'[Math.floor(rand() * 4)]).join(''));
}

/** Sets the `workers` attribute and waits for the element to be ready again; returns `ready`'s detail. */
async function restartWith(page, workers) {
  return page.evaluate(async (n) => {
    const el = document.querySelector('camformer-predictor');
    const before = el.ready;
    el.setAttribute('workers', n);
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (el.ready === before) throw new Error('setting workers did not restart the element');
    const detail = await el.ready;
    return { ...detail, elWorkers: el.workers };
  }, String(workers));
}

export const tests = [
  {
    name: 'pool: workers attribute, el.workers, a batch split over 2 workers equals 1 worker in order, ism of a list, cancel keeps partial results, models load into every worker',
    async run({ context, origin, root, log }) {
      const app = await openPage(context, { origin });
      await recordEvents(app.page);
      const page = app.page;
      await page.goto(`${origin}/www/?backend=cpu&workers=2`);
      const { detail } = await waitReady(page);
      check(detail.workers === 2, `ready says 2 workers (${detail.workers})`);
      check((await page.evaluate(() => document.querySelector('camformer-predictor').workers)) === 2, 'el.workers is 2');
      check(detail.memoryBytes.length === 2 && detail.memoryBytes.every((b) => b > 1e6), `wasm memory per worker: ${detail.memoryBytes}`);
      log(`wasm memory per worker after loading the default model: ${detail.memoryBytes.map((b) => `${(b / 2 ** 20).toFixed(1)} MiB`).join(', ')}`);

      // A batch across two workers (several tasks each): the tasks ran on both, the result is in order.
      const sequences = [...dreamSample().map((r) => r.sequence), ...randomRegions(317)];
      const two = await page.evaluate((s) => document.querySelector('camformer-predictor').predict(s), sequences);
      const event = (await eventsOf(page, 'prediction')).at(-1);
      check(event.workers === 2, `the batch ran on both workers (${event.workers})`);
      // With fixed chunks every wasm call gets the same sequences however the batch is split.
      const fixed = (s) => document.querySelector('camformer-predictor').request('predict', { sequences: s, chunkSize: 16 }).then((r) => ({ values: Array.from(r.result), workers: r.workers }));
      const twoFixed = await page.evaluate(fixed, sequences);
      check(twoFixed.workers === 2, 'the fixed-chunk batch ran on both workers');

      // The same batch on one worker: the same numbers in the same order.
      const one = await restartWith(page, 1);
      check(one.workers === 1 && one.elWorkers === 1, `workers="1": ${one.workers} / el.workers ${one.elWorkers}`);
      const single = await page.evaluate((s) => document.querySelector('camformer-predictor').predict(s), sequences);
      // Chunks sized by timing differ from run to run, and the wasm's matrix products round
      // slightly differently for different batch sizes (~1e-6): equal to 1e-5.
      const worst = assertClose(two, single, 1e-5, 'predictions with 2 workers vs 1 worker');
      const singleFixed = await page.evaluate(fixed, sequences);
      const exact = singleFixed.values.every((v, i) => v === twoFixed.values[i]);
      check(exact, 'with the same chunks, 2 workers and 1 worker give bit-identical predictions in the same order');
      log(`${sequences.length} sequences: 2 workers vs 1 worker, max |difference| ${worst.toExponential(1)} (timing-sized chunks); identical with fixed chunks`);

      // A bad sequence in a later task: the error names it as one worker would.
      const bad = await page.evaluate(async (s) => {
        const el = document.querySelector('camformer-predictor');
        el.setAttribute('workers', '2');
        await new Promise((resolve) => setTimeout(resolve, 0));
        await el.ready;
        try {
          await el.predict(s);
          return 'resolved';
        } catch (err) {
          return err.message;
        }
      }, [...sequences.slice(0, 300), `${'A'.repeat(20)}Q${'A'.repeat(59)}`, ...sequences.slice(300)]);
      check(/sequence 301\b/.test(bad) && /position 21\b/.test(bad), `the error names sequence 301, position 21: ${bad}`);
      check((await page.evaluate(() => document.querySelector('camformer-predictor').workers)) === 2, 'back to 2 workers');

      // ism() of a list: one result per sequence, equal to one call each.
      const few = sequences.slice(0, 3);
      const listed = await page.evaluate((s) => document.querySelector('camformer-predictor').ism(s), few);
      check(Array.isArray(listed) && listed.length === 3, 'ism of a list gives a list');
      for (let i = 0; i < few.length; i++) {
        const alone = await page.evaluate((s) => document.querySelector('camformer-predictor').ism(s), few[i]);
        // `alone` is split over the two idle workers by positions (below): equal up to
        // summation order.
        assertClose(listed[i].matrix, alone.matrix, 1e-5, `ism of list item ${i + 1}`);
      }

      // The ISM of one sequence is split by positions over both idle workers and joined in
      // position order: the same matrix as the whole ISM on one worker (a list of one).
      const ismOf = (params) => document.querySelector('camformer-predictor').request('ism', params).then((r) => ({ workers: r.workers, result: r.result }));
      const split = await page.evaluate(ismOf, { sequence: few[0], allPositions: true });
      const whole = await page.evaluate(ismOf, { sequences: [few[0]], allPositions: true });
      check(split.workers === 2, `one ISM ran on both workers (${split.workers})`);
      check(split.result.start === 0 && split.result.width === 110 && split.result.matrix.length === 440, 'the joined ISM covers all 110 positions');
      check(whole.workers === 1 && split.result.reference === whole.result[0].reference, 'the same reference prediction');
      const worstIsm = assertClose(split.result.matrix, whole.result[0].matrix, 1e-5, 'split ISM vs whole ISM');
      // A share is only its columns (what the pool joins).
      const share = await page.evaluate(ismOf, { sequence: few[0], allPositions: true, first: 20, count: 10 });
      check(share.result.start === 20 && share.result.width === 10 && share.result.matrix.length === 40, `a share has its 10 columns (start ${share.result.start}, width ${share.result.width})`);
      assertClose(share.result.matrix, [0, 1, 2, 3].flatMap((row) => whole.result[0].matrix.slice(row * 110 + 20, row * 110 + 30)), 1e-5, 'the share equals those columns of the whole ISM');
      log(`one ISM split over 2 workers vs whole: max |difference| ${worstIsm.toExponential(1)}`);

      // Cancel a long batch from the status bar: the promise rejects, `partial` holds the
      // predictions made (null for the rest), and they equal a full prediction of those sequences.
      const many = randomRegions(4000, 5);
      await page.evaluate((s) => {
        window.__cancelled = document
          .querySelector('camformer-predictor')
          .predict(s)
          .then(() => ({ resolved: true }), (err) => ({ name: err.name, partial: err.partial }));
      }, many);
      await page.waitForFunction(() => window.__camformerEvents.some((e) => e.type === 'progress' && e.detail.total === 4000 && e.detail.done > 0), null, { timeout: 300_000 });
      await inApp(page, 'button.cf-cancel').click();
      const cancelled = await page.evaluate(() => window.__cancelled);
      check(!cancelled.resolved && cancelled.name === 'CancelledError', `the cancelled call rejects with a CancelledError (${JSON.stringify(cancelled).slice(0, 80)})`);
      const { predictions, done, total } = cancelled.partial;
      const made = predictions.map((v, i) => [v, i]).filter(([v]) => v !== null);
      check(total === 4000 && made.length === done && done > 0 && done < 4000, `partial: ${done} of ${total}`);
      const again = await page.evaluate((s) => document.querySelector('camformer-predictor').predict(s), made.map(([, i]) => many[i]));
      assertClose(made.map(([v]) => v), again, 1e-5, 'the predictions kept after the cancel');
      log(`cancelled after ${done} of 4000; the kept predictions equal a new run of those sequences`);

      // A model loaded in the Model panel goes to every worker: the shipped weights under another
      // name, then one `info` request per worker (two at once go to the two idle workers).
      const dir = path.join(root, 'models', 'default');
      const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
      manifest.name = 'pool-test-model';
      await inApp(page, 'input.cf-weights-files').setInputFiles([
        { name: 'model.safetensors', mimeType: 'application/octet-stream', buffer: readFileSync(path.join(dir, 'model.safetensors')) },
        { name: 'manifest.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(manifest)) },
      ]);
      await inApp(page, 'button.cf-load-weights').click();
      await inApp(page, '.cf-model-panel .cf-note').waitFor({ state: 'visible', timeout: 120_000 });
      const names = await page.evaluate(async () => {
        const el = document.querySelector('camformer-predictor');
        const replies = await Promise.all([el.request('info'), el.request('info')]);
        return replies.map((r) => r.manifest.name);
      });
      check(names.length === 2 && names.every((n) => n === 'pool-test-model'), `every worker has the loaded model: ${names.join(', ')}`);
      const ready = (await eventsOf(page, 'ready')).at(-1);
      check(ready.workers === 2 && ready.manifest.name === 'pool-test-model', `the model load keeps both workers (${ready.workers})`);
      app.assertClean();
    },
  },
];
