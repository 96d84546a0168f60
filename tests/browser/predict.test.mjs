// The app page on the CPU backend: predictions equal the native CLI's (tests/browser/fixtures/
// expected.json, 1e-4), rejected records
// are listed with the record and position, the table sorts, downloads hold the CLI's columns,
// r / rho appear with measured values, long batches report progress, can be cancelled (the
// predictions made are kept) and never freeze the page.

import { assertBuiltInModelIsDefault, expectedCases, dreamSample } from './data.mjs';
import { assertClose, check, downloadOf, eventsOf, inApp, openPage, pearson, recordEvents, waitReady } from './harness.mjs';

const TOL_CPU = 1e-4;

/** Reads what the element holds from the last prediction made in its panels. */
function lastResults(page) {
  return page.evaluate(() => {
    const r = document.querySelector('camformer-predictor').results;
    return r && { names: r.records.map((x) => x.name), numbers: r.records.map((x) => x.number), predictions: r.records.map((x) => x.prediction), rejected: r.rejected, elapsedMs: r.elapsedMs, cancelled: r.cancelled, notPredicted: r.notPredicted?.length ?? 0 };
  });
}

async function predictInPage(page, text, previous) {
  await inApp(page, 'textarea.cf-input').fill(text);
  await inApp(page, 'button.cf-predict').click();
  await page.waitForFunction(
    (prev) => {
      const r = document.querySelector('camformer-predictor').results;
      return r && r !== null && r.elapsedMs !== prev;
    },
    previous ?? null,
    { timeout: 300_000 },
  );
  return lastResults(page);
}

export const tests = [
  {
    name: 'predict: the app page predicts the expected values on the CPU, lists rejected records, sorts, downloads',
    async run({ context, origin, log }) {
      const cases = await expectedCases(context, origin);
      log(`expected values: ${cases.source}; ${cases.sequences.length} sequences`);
      // The reference is the native CLI: wasm in a worker must give its numbers (1e-4).
      check(cases.fixture, "tests/browser/fixtures/expected.json (the CLI's predictions) is missing: run scripts/default_model_fixture.sh");
      const app = await openPage(context, { origin });
      await recordEvents(app.page);
      await app.page.goto(`${origin}/www/?backend=cpu`);
      const { detail, sinceNavigationMs } = await waitReady(app.page);
      check(detail.backend === 'cpu', `backend ${detail.backend}, expected cpu`);
      assertBuiltInModelIsDefault(detail);
      log(`page load to ready: ${sinceNavigationMs.toFixed(0)} ms (worker start + wasm + model: ${detail.loadMs.toFixed(0)} ms)`);
      check((await inApp(app.page, '.cf-backend').textContent()).includes('CPU'), 'the status bar names the CPU backend');
      check((await inApp(app.page, '.cf-privacy').textContent()).includes('nothing leaves your machine') ||
        (await inApp(app.page, '.cf-privacy').textContent()).includes('no sequence'), 'the privacy statement is shown');

      // FASTA with two bad records among the good ones: record 2 (invalid base) and record 5 (too short).
      const records = cases.sequences.map((s, i) => `>${cases.names[i]}\n${s}`);
      records.splice(1, 0, '>bad_base\nACGTXACGT');
      records.splice(4, 0, `>too_short\n${'ACGT'.repeat(15)}`);
      const results = await predictInPage(app.page, records.join('\n') + '\n');
      check(results.names.length === cases.sequences.length, `${results.names.length} predicted, expected ${cases.sequences.length}`);
      check(results.names.every((n, i) => n === cases.names[i]), 'results are in input order');
      const worst = assertClose(results.predictions, cases.predictions, TOL_CPU, 'page predictions (CPU)');
      log(`max |page - expected| = ${worst.toExponential(2)} over ${results.predictions.length} sequences`);
      log(`predicted ${results.predictions.length} sequences in ${results.elapsedMs.toFixed(0)} ms: ${((results.predictions.length / results.elapsedMs) * 1000).toFixed(0)} sequences/s (CPU wasm, in the worker)`);

      const rejected = await inApp(app.page, '.cf-rejected-item').allTextContents();
      check(rejected.length === 2, `2 rejected records listed, saw ${rejected.length}`);
      check(/record 2 'bad_base'.*invalid base 'X' at position 5/.test(rejected[0]), `rejected message names the record and position: ${rejected[0]}`);
      check(/record 5 'too_short'.*length 60 bp.*position/.test(rejected[1]), `rejected message names the record and length: ${rejected[1]}`);
      check((await inApp(app.page, '.cf-rejected h3').textContent()).includes('2 records rejected'), 'the rejected count is shown');

      // The `prediction` event carries the same numbers.
      const events = await eventsOf(app.page, 'prediction');
      check(events.length === 1 && events[0].predictions.length === cases.sequences.length, 'one prediction event with every prediction');

      // Sorting by prediction: ascending, then descending.
      const firstPrediction = async () => Number(await inApp(app.page, '.cf-results-panel table.cf-table tbody tr:first-child td:nth-child(4)').textContent());
      await inApp(app.page, 'th[data-key="prediction"] button').click();
      const min = Math.min(...results.predictions);
      const max = Math.max(...results.predictions);
      check(Math.abs((await firstPrediction()) - min) < 1e-4, 'ascending sort puts the smallest prediction first');
      await inApp(app.page, 'th[data-key="prediction"] button').click();
      check(Math.abs((await firstPrediction()) - max) < 1e-4, 'descending sort puts the largest prediction first');
      check((await inApp(app.page, 'th[data-key="prediction"]').getAttribute('aria-sort')) === 'descending', 'aria-sort follows');

      // Histogram.
      check((await inApp(app.page, '.cf-histogram svg rect').count()) > 5, 'the histogram is drawn');

      // TSV download: the CLI's columns, input order, rejected rows with NA and the reason.
      const tsv = await downloadOf(app.page, () => inApp(app.page, '.cf-results-panel button:text("Download TSV")').click());
      const lines = tsv.bytes.toString('utf8').trim().split('\n');
      check(lines[0] === 'name\tsequence\tprediction\tnote', `TSV header: ${lines[0]}`);
      check(lines.length === cases.sequences.length + 3, `TSV has a row per record (${lines.length - 1})`);
      check(lines[2].startsWith('bad_base\t\tNA\terror: record 2'), `rejected row in place: ${lines[2]}`);
      const tsvPredictions = lines.slice(1).map((l) => l.split('\t')).filter((f) => f[2] !== 'NA').map((f) => Number(f[2]));
      assertClose(tsvPredictions, cases.predictions, 1e-6 + TOL_CPU, 'TSV predictions');
      const csv = await downloadOf(app.page, () => inApp(app.page, '.cf-results-panel button:text("Download CSV")').click());
      check(csv.bytes.toString('utf8').startsWith('name,sequence,prediction,note\n'), 'CSV header');

      // Dropping a file on the input panel reads it into the box.
      await inApp(app.page, '.cf-input-panel').evaluate((panel) => {
        const data = new DataTransfer();
        data.items.add(new File(['>dropped\nGAATCTTTTCCTAAACAGTGTTGGATATTGATCTCGCATCTACTATTATGAAGTCATTATTACTATATTACCTGACCTAG\n'], 'drop.fa', { type: 'text/plain' }));
        for (const type of ['dragover', 'drop']) panel.dispatchEvent(new DragEvent(type, { dataTransfer: data, bubbles: true, cancelable: true }));
      });
      await app.page.waitForFunction(() => document.querySelector('camformer-predictor').shadowRoot.querySelector('textarea.cf-input').value.startsWith('>dropped'));

      // Measured values: r and rho against them.
      const sample = dreamSample().slice(0, 60);
      const tsvInput = sample.map((r) => `${r.sequence}\t${r.value}`).join('\n');
      const withValues = await predictInPage(app.page, tsvInput, results.elapsedMs);
      const r = pearson(withValues.predictions, sample.map((x) => x.value));
      const shown = await inApp(app.page, '.cf-pearson').textContent();
      check(shown === `r = ${r.toFixed(3)}`, `Pearson r shown as '${shown}', computed ${r.toFixed(3)}`);
      check((await inApp(app.page, '.cf-spearman').textContent()).startsWith('ρ = '), 'Spearman rho shown');
      check((await inApp(app.page, 'th[data-key="value"]').count()) === 1, 'a measured column');
      app.assertClean();
    },
  },
  {
    name: 'predict: a long batch reports progress, keeps the page responsive and can be cancelled, keeping the predictions made',
    async run({ context, origin, log }) {
      const app = await openPage(context, { origin });
      await recordEvents(app.page);
      await app.page.goto(`${origin}/www/?backend=cpu`);
      await waitReady(app.page);
      const first = await predictInPage(app.page, dreamSample().slice(0, 8).map((r) => r.sequence).join('\n'));

      // 10,000 random 80-bp regions.
      let seed = 7;
      const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
      const many = Array.from({ length: 10_000 }, () => Array.from({ length: 80 }, () => 'ACGT'[Math.floor(rand() * 4)]).join(''));
      // Set directly: typing a megabyte through the input pipeline takes Playwright minutes.
      await inApp(app.page, 'textarea.cf-input').evaluate((el, text) => (el.value = text), many.join('\n'));
      // Main-thread responsiveness: the longest gap between timer ticks while predicting.
      await app.page.evaluate(() => {
        window.__lag = 0;
        let last = performance.now();
        window.__lagTimer = setInterval(() => {
          const now = performance.now();
          window.__lag = Math.max(window.__lag, now - last - 50);
          last = now;
        }, 50);
      });
      const clicked = Date.now();
      await inApp(app.page, 'button.cf-predict').click();
      // Progress events of this batch (the first, small prediction sent some too).
      const batchProgress = (n) => window.__camformerEvents.filter((e) => e.type === 'progress' && e.detail.total === 10_000).length >= n;
      await app.page.waitForFunction(batchProgress, 1, { timeout: 300_000 });
      log(`reading 10,000 records (parseRecords in the worker) took about ${Date.now() - clicked} ms`);
      await app.page.waitForFunction(batchProgress, 3, { timeout: 120_000 });
      const progress = await eventsOf(app.page, 'progress');
      const last = progress.at(-1);
      check(last.total === 10_000 && last.done > 0 && last.done < 10_000, `progress ${last.done} / ${last.total}`);
      check(await inApp(app.page, 'progress.cf-progress').isVisible(), 'a progress bar is shown');
      log(`throughput during a 10,000-sequence batch: ${((last.done / last.elapsedMs) * 1000).toFixed(0)} sequences/s after ${last.done}`);
      const t0 = Date.now();
      await inApp(app.page, 'button.cf-cancel').click();
      await inApp(app.page, 'button.cf-cancel').waitFor({ state: 'hidden', timeout: 30_000 });
      log(`cancelled within ${Date.now() - t0} ms`);
      const lag = await app.page.evaluate(() => {
        clearInterval(window.__lagTimer);
        return window.__lag;
      });
      log(`longest main-thread stall while predicting: ${lag.toFixed(0)} ms`);
      // Reported, not asserted: timings belong in benchmarks, and a loaded CI machine stalls too.
      // The predictions made before the cancel are shown, said to be partial; the input stays.
      await app.page.waitForFunction((prev) => document.querySelector('camformer-predictor').results?.elapsedMs !== prev, first.elapsedMs, { timeout: 30_000 });
      const after = await lastResults(app.page);
      const made = after.predictions.length;
      check(after.cancelled?.total === 10_000 && after.cancelled.done === made, `the results say cancelled after ${after.cancelled?.done} of ${after.cancelled?.total}`);
      check(made > 0 && made < 10_000 && after.notPredicted === 10_000 - made, `the ${made} predictions made are kept, the other ${after.notPredicted} listed as not predicted`);
      check(after.predictions.every(Number.isFinite) && after.numbers.every((n, i) => i === 0 || n > after.numbers[i - 1]), 'the kept predictions are numbers, in input order');
      const notice = await inApp(app.page, '.cf-results-notice').textContent();
      check(notice.includes(`Cancelled after ${made.toLocaleString('en')} of 10,000`), `the results panel says so: ${notice}`);
      log(`cancelled after ${made} of 10,000 sequences; those are shown`);
      check((await inApp(app.page, 'textarea.cf-input').inputValue()).length > 800_000, 'the input is kept');
      // And the worker still works.
      const again = await app.page.evaluate(() => document.querySelector('camformer-predictor').predict([
        'GAATCTTTTCCTAAACAGTGTTGGATATTGATCTCGCATCTACTATTATGAAGTCATTATTACTATATTACCTGACCTAG',
      ]));
      check(again.length === 1 && Number.isFinite(again[0]), 'predicts after a cancellation');
      app.assertClean();
    },
  },
];
