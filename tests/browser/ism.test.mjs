// The ISM view: heatmap and logo render with reference cells marked, values equal the wasm API's,
// clicking a cell applies the mutation (its new prediction = old + the cell's delta) and
// re-runs, undo goes back, live ISM follows edits (stale runs dropped), exports work; the
// panel's ISM equals the native CLI's (tests/browser/fixtures/expected.json); the robustness
// summary equals CamformerModel.robustness and follows the threshold, with a delta histogram.

import { assertBuiltInModelIsDefault, readFixture, referencePage } from './data.mjs';
import { assertClose, check, downloadOf, eventsOf, inApp, openPage, recordEvents, waitReady } from './harness.mjs';

const TOL = 1e-4;

/** Waits for the n-th `ism` event (1-based) and returns its detail. */
async function nthIsm(page, n) {
  await page.waitForFunction((k) => window.__camformerEvents.filter((e) => e.type === 'ism').length >= k, n, { timeout: 300_000 });
  return (await eventsOf(page, 'ism'))[n - 1];
}

export const tests = [
  {
    name: 'ism: heatmap + logo render, equal the API, click-to-mutate, undo, live ISM, exports',
    async run({ context, origin, log }) {
      const ref = await referencePage(context, origin);
      const app = await openPage(context, { origin });
      await recordEvents(app.page);
      await app.page.goto(`${origin}/www/?backend=cpu`);
      await waitReady(app.page);
      const page = app.page;

      // Predict the example, then open ISM from the table.
      await inApp(page, '.cf-input-panel button:text("Example")').click();
      await inApp(page, 'button.cf-predict').click();
      await inApp(page, '.cf-results-panel table.cf-table tbody tr').first().waitFor({ timeout: 120_000 });
      const name = await inApp(page, '.cf-results-panel table.cf-table tbody tr:first-child td:nth-child(2)').textContent();
      await inApp(page, '.cf-results-panel table.cf-table tbody tr:first-child button.cf-ism-button').click();
      const first = await nthIsm(page, 1);
      const construct = first.result.construct;
      check(construct.length === 110, 'ISM of the 110-bp construct');
      check(first.result.start === 17 && first.result.width === 80, `random region: start ${first.result.start}, width ${first.result.width}`);
      log(`ISM latency in the page (240 mutants, CPU, first run): ${first.elapsedMs.toFixed(0)} ms`);

      // Rendering: 4 x 80 cells, 80 of them reference cells; logo letters; history of one step.
      check((await inApp(page, 'svg.cf-ism-svg rect.cf-mut').count()) === 240, '240 mutant cells');
      check((await inApp(page, 'svg.cf-ism-svg rect.cf-ref').count()) === 80, '80 reference cells, marked');
      check((await inApp(page, 'svg.cf-ism-svg circle').count()) === 80, 'a dot on each reference cell');
      const letters = await inApp(page, 'svg.cf-ism-svg path.cf-logo-letter').count();
      check(letters > 40 && letters <= 80, `${letters} logo letters`);
      check((await inApp(page, 'ol.cf-history li').count()) === 1, 'the trajectory starts with one step');
      check((await inApp(page, 'ol.cf-history li').first().textContent()).includes(name), 'the start step names the sequence');

      // Values equal the wasm API's ISM in a bare page.
      const expected = await ref.ism(construct);
      assertClose(first.result.matrix, expected.matrix, TOL, 'ISM matrix vs CamformerModel.ism');
      assertClose([first.result.reference], [expected.reference], TOL, 'ISM reference prediction');

      // Click the strongest mutation at some position; its prediction must be reference + delta.
      const cell = inApp(page, 'svg.cf-ism-svg rect.cf-mut[data-pos="60"]').first();
      const alt = await cell.getAttribute('data-alt');
      const delta = Number(await cell.getAttribute('data-delta'));
      await cell.click();
      const second = await nthIsm(page, 2);
      const mutated = construct.slice(0, 60) + alt + construct.slice(61);
      check(second.result.construct === mutated, 'the clicked mutation is applied');
      assertClose([second.result.reference], [first.result.reference + delta], TOL, 'mutant prediction = reference + delta');
      check((await inApp(page, 'ol.cf-history li').count()) === 2, 'the trajectory has two steps');
      check((await inApp(page, 'ol.cf-history li').nth(1).textContent()).startsWith(`${construct[60]}61${alt}`), 'the step is labelled like C61T');
      check((await inApp(page, 'textarea.cf-ism-sequence').inputValue()) === mutated, 'the sequence box shows the mutant');
      check((await inApp(page, 'svg.cf-ism-svg path.cf-changed').count()) === 1, 'the mutated position is marked');
      check((await inApp(page, '.cf-ism-panel .cf-trajectory svg polyline').count()) === 1, 'the trajectory chart is drawn');
      log(`ISM latency in the page after a click: ${second.elapsedMs.toFixed(0)} ms`);

      // Undo: back to the start, without re-running (cached).
      await inApp(page, 'button.cf-undo').click();
      await page.waitForFunction(() => document.querySelector('camformer-predictor').shadowRoot.querySelectorAll('ol.cf-history li').length === 1);
      check((await inApp(page, 'textarea.cf-ism-sequence').inputValue()) === construct, 'undo restores the sequence');
      const back = Number(await inApp(page, 'svg.cf-ism-svg rect.cf-mut[data-pos="60"][data-alt="' + alt + '"]').getAttribute('data-delta'));
      check(Math.abs(back - delta) < 1e-9, 'undo restores the heatmap');
      check((await inApp(page, 'svg.cf-ism-svg path.cf-changed').count()) === 0, 'no position marked after undo');

      // Live ISM: two edits in quick succession; the first run is cancelled or dropped, the
      // second is shown.
      const swap = (seq, pos) => seq.slice(0, pos) + (seq[pos] === 'A' ? 'C' : 'A') + seq.slice(pos + 1);
      const edit1 = swap(construct, 40);
      const edit2 = swap(edit1, 41);
      const box = inApp(page, 'textarea.cf-ism-sequence');
      await box.fill(edit1);
      await page.waitForTimeout(400); // past the debounce: the first run starts
      await box.fill(edit2);
      await page.waitForFunction(
        (want) => {
          const root = document.querySelector('camformer-predictor').shadowRoot;
          const items = root.querySelectorAll('ol.cf-history li');
          return items.length >= 2 && window.__camformerEvents.some((e) => e.type === 'ism' && e.detail.result.construct === want);
        },
        edit2,
        { timeout: 300_000 },
      );
      await page.waitForTimeout(300);
      const isms = await eventsOf(page, 'ism');
      const live = isms.at(-1);
      check(live.result.construct === edit2, 'the last ISM shown is of the latest edit');
      const labels = await inApp(page, 'ol.cf-history li .cf-step-label').allTextContents();
      check(labels.at(-1).includes('42'), `the last step names the edited position: ${labels.join(' | ')}`);
      const latency = await inApp(page, '.cf-ism-panel .cf-latency[data-ms]').getAttribute('data-ms');
      log(`live ISM: latency shown ${latency} ms; ${isms.length - 2} runs reached the page for 2 edits`);
      const expectedLive = await ref.ism(edit2);
      assertClose(live.result.matrix, expectedLive.matrix, TOL, 'live ISM matrix');

      // Exports.
      const tsv = await downloadOf(page, () => inApp(page, '.cf-ism-panel button:text-is("TSV")').click());
      const rows = tsv.bytes.toString('utf8').trim().split('\n');
      check(rows[0] === 'name\tposition\tref\talt\tdelta' && rows.length === 241, `ISM TSV: ${rows.length - 1} rows`);
      const svg = await downloadOf(page, () => inApp(page, '.cf-ism-panel button:text-is("SVG")').click());
      check(svg.bytes.toString('utf8').startsWith('<?xml') && svg.bytes.toString('utf8').includes('<svg'), 'SVG export');
      const png = await downloadOf(page, () => inApp(page, '.cf-ism-panel button:text-is("PNG")').click());
      check(png.bytes.subarray(1, 4).toString('latin1') === 'PNG' && png.bytes.length > 5000, `PNG export (${png.bytes.length} bytes)`);

      // All 110 positions.
      await inApp(page, 'input.cf-ism-all').check();
      await page.waitForFunction(() => document.querySelector('camformer-predictor').shadowRoot.querySelectorAll('svg.cf-ism-svg rect.cf-mut').length === 330, null, { timeout: 300_000 });
      check((await inApp(page, 'svg.cf-ism-svg rect.cf-ref').count()) === 110, '110 reference cells with all positions');

      // An invalid edit: an inline error, the figure and history stay.
      await box.fill(edit2.slice(0, 50) + 'X' + edit2.slice(51));
      await inApp(page, '.cf-ism-panel .cf-ism-error').waitFor({ state: 'visible', timeout: 30_000 });
      check((await inApp(page, '.cf-ism-panel .cf-ism-error').textContent()).includes('position 51'), 'the error names the position');
      check((await inApp(page, 'svg.cf-ism-svg').count()) === 1, 'the figure stays');
      ref.assertClean();
      app.assertClean();
    },
  },
  {
    name: 'ism: the panel equals the CLI ISM (fixture); robustness equals the API and follows the threshold; delta histogram',
    async run({ context, origin, log }) {
      const fixture = readFixture();
      check(fixture?.ism?.deltas?.length, 'tests/browser/fixtures/expected.json has an `ism` section (scripts/default_model_fixture.sh)');
      const ref = await referencePage(context, origin);
      const app = await openPage(context, { origin });
      await recordEvents(app.page);
      const page = app.page;
      await page.goto(`${origin}/www/?backend=cpu&panels=ism`);
      assertBuiltInModelIsDefault((await waitReady(page)).detail);

      // The fixture's sequence through the panel: every delta of the CLI's (naive) ISM within 1e-4.
      await inApp(page, 'textarea.cf-ism-sequence').fill(fixture.ism.sequence);
      await inApp(page, 'button.cf-ism-run').click();
      const first = await nthIsm(page, 1);
      const r = first.result;
      let worst = 0;
      for (const d of fixture.ism.deltas) {
        const j = d.position - 1 - r.start;
        check(j >= 0 && j < r.width, `fixture position ${d.position} is inside the panel's ISM (${r.start + 1}-${r.start + r.width})`);
        check(r.construct[d.position - 1] === d.ref, `position ${d.position}: reference ${r.construct[d.position - 1]}, the CLI says ${d.ref}`);
        const got = r.matrix['ACGT'.indexOf(d.alt) * r.width + j];
        const diff = Math.abs(got - d.delta);
        worst = Math.max(worst, diff);
        check(diff <= TOL, `ISM ${d.ref}${d.position}${d.alt}: panel ${got}, CLI ${d.delta} (|difference| ${diff.toExponential(2)})`);
      }
      log(`panel ISM vs the CLI (${fixture.ism.deltas.length} deltas): max |diff| ${worst.toExponential(2)}; latency ${first.elapsedMs.toFixed(0)} ms`);

      // Robustness at the default threshold: the same numbers as CamformerModel.robustness.
      const robustAt = async (threshold) => {
        await page.waitForFunction(
          (t) => {
            const dl = document.querySelector('camformer-predictor').shadowRoot.querySelector('dl.cf-robustness');
            return dl && !dl.hidden && Math.abs(Number(dl.dataset.threshold) - t) < 1e-6;
          },
          threshold,
          { timeout: 300_000 },
        );
        const events = await eventsOf(page, 'robustness');
        return events.filter((e) => Math.abs(e.result.threshold - threshold) < 1e-6).at(-1).result;
      };
      const keys = ['reference', 'robustFraction', 'upFraction', 'downFraction', 'meanAbsDelta', 'maxIncrease', 'maxDecrease'];
      const compare = async (threshold) => {
        const shown = await robustAt(threshold);
        const expected = await ref.robustness(r.construct, threshold, false);
        check(shown.mutants === 240 && expected.mutants === 240, `240 mutants (${shown.mutants})`);
        assertClose(keys.map((k) => shown[k]), keys.map((k) => expected[k]), TOL, `robustness at ${threshold} vs CamformerModel.robustness`);
        const text = await inApp(page, 'dl.cf-robustness .cf-robust-robust').textContent();
        check(text.startsWith(`${(100 * expected.robustFraction).toFixed(1)}%`), `robust fraction shown: ${text}`);
        return shown;
      };
      check((await inApp(page, 'input.cf-robustness-threshold').inputValue()) === '0.1', 'the threshold defaults to 0.1');
      const at01 = await compare(0.1);
      log(`robustness at 0.1: robust ${at01.robustFraction.toFixed(3)}, up ${at01.upFraction.toFixed(3)}, down ${at01.downFraction.toFixed(3)}`);

      // The histogram: every mutant counted once, the band drawn.
      const histogram = async () =>
        inApp(page, '.cf-delta-histogram svg').evaluate((svg) => ({
          total: [...svg.querySelectorAll('rect.cf-delta-bar')].reduce((a, b) => a + Number(b.dataset.count), 0),
          band: svg.querySelectorAll('rect.cf-band').length,
          label: svg.getAttribute('aria-label'),
        }));
      let hist = await histogram();
      check(hist.total === 240 && hist.band === 1 && hist.label.includes('±0.1'), `delta histogram: ${JSON.stringify(hist)}`);

      // Another threshold: new numbers, the band follows.
      await inApp(page, 'input.cf-robustness-threshold').fill('0.2');
      const at02 = await compare(0.2);
      check(at02.robustFraction >= at01.robustFraction, 'a wider band holds at least as many mutants');
      hist = await histogram();
      check(hist.label.includes('±0.2'), `the band follows the threshold: ${hist.label}`);

      // A bad threshold fails inline.
      await inApp(page, 'input.cf-robustness-threshold').fill('-1');
      await inApp(page, '.cf-ism-panel .cf-robustness-error').filter({ hasText: 'threshold' }).waitFor({ state: 'visible', timeout: 30_000 });
      ref.assertClean();
      app.assertClean();
    },
  },
];
