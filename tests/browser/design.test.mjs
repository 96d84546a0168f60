// The design panel: frozen positions typed and clicked on the strip; a greedy 10-edit search
// whose trajectory equals designStart/designStep in a bare page, each step's prediction equals
// CamformerModel.predict of its sequence (1e-4), frozen positions never change, edited bases are
// marked, plot + TSV + "send to ISM"; a long beam search reports progress and cancels between
// steps, and the worker keeps working.

import { dreamSample, referencePage } from './data.mjs';
import { assertClose, check, downloadOf, eventsOf, inApp, openPage, recordEvents, waitReady } from './harness.mjs';

const TOL = 1e-4;
const REGION_START = 17;

function rootQuery(page, fn, arg) {
  return page.waitForFunction(fn, arg, { timeout: 600_000, polling: 250 });
}

export const tests = [
  {
    name: 'design: greedy trajectory equals the API, predictions equal predict(), frozen positions kept, plot/TSV/ISM',
    async run({ context, origin, log }) {
      const ref = await referencePage(context, origin);
      const app = await openPage(context, { origin });
      await recordEvents(app.page);
      const page = app.page;
      await page.goto(`${origin}/www/?backend=cpu&panels=design,ism`);
      await waitReady(page);
      const start = dreamSample()[3].sequence;

      // The sequence and its random region on the strip.
      await inApp(page, 'textarea.cf-design-sequence').fill(start);
      await rootQuery(page, (base) => {
        const cell = document.querySelector('camformer-predictor').shadowRoot.querySelector('.cf-strip-base[data-pos="18"]');
        return cell && cell.textContent === base;
      }, start[REGION_START]);
      check((await inApp(page, '.cf-strip-base').count()) === 80, '80 strip cells');

      // Frozen positions: typed as random-region positions (r1-r10, r42), shown back as
      // construct positions (the app's one convention), then one more clicked on the strip.
      await inApp(page, 'input.cf-design-frozen').fill('r1-r10,r42');
      await inApp(page, '.cf-strip-base[data-pos="67"]').click();
      check((await inApp(page, 'input.cf-design-frozen').inputValue()) === '18-27,59,67', 'a click adds the construct position to the text');
      const frozen = [...Array.from({ length: 10 }, (_, i) => i + 1), 42, 50];
      check((await inApp(page, '.cf-strip-base.cf-frozen').count()) === frozen.length, 'the strip marks the frozen positions');
      await inApp(page, '.cf-strip-base[data-pos="67"]').click();
      check((await inApp(page, 'input.cf-design-frozen').inputValue()) === '18-27,59', 'a second click frees it');
      await inApp(page, '.cf-strip-base[data-pos="67"]').click();

      // A bad frozen list fails inline without starting: a flank position, then a number past
      // the construct.
      await inApp(page, 'input.cf-design-frozen').fill('18-27,5');
      await inApp(page, 'button.cf-design-start').click();
      const error = inApp(page, '.cf-design-panel .cf-error');
      await error.waitFor({ state: 'visible', timeout: 10_000 });
      check((await error.textContent()).includes('5 (5′ flank)'), `the error names the position: ${await error.textContent()}`);
      await inApp(page, 'input.cf-design-frozen').fill('r1-r10,r95');
      await inApp(page, 'button.cf-design-start').click();
      await error.filter({ hasText: 'r95' }).waitFor({ state: 'visible', timeout: 10_000 });
      // The design's own edit labels (89T>G) are construct positions, and typing one freezes
      // that base: the same numbers everywhere.
      await inApp(page, 'input.cf-design-frozen').fill('18-27,59,67');

      // Greedy, 10 edits, maximize.
      await inApp(page, 'select.cf-design-goal').selectOption('maximize');
      await inApp(page, 'input.cf-design-max-edits').fill('10');
      await inApp(page, 'input.cf-design-beam').fill('1');
      const t0 = Date.now();
      await inApp(page, 'button.cf-design-start').click();
      await rootQuery(page, () => window.__camformerEvents.some((e) => e.type === 'design'));
      const wall = Date.now() - t0;
      const event = (await eventsOf(page, 'design'))[0];
      check(!event.cancelled, 'the search finished');
      const steps = event.result.trajectory;
      log(`greedy design, ${event.result.steps} steps (max 10), ${steps.length - 1} edits: ${event.elapsedMs.toFixed(0)} ms in the worker, ${wall} ms click to result; prediction ${steps[0].prediction.toFixed(4)} -> ${steps.at(-1).prediction.toFixed(4)}`);
      check(steps[0].edits === 0 && steps[0].edit === null, 'the trajectory starts with the start');
      check(steps.length >= 2, 'at least one edit improves the prediction');
      const progress = (await eventsOf(page, 'progress')).filter((p) => p.job === 'design');
      check(progress.length >= event.result.steps && progress.every((p) => p.unit === 'steps' && p.total === 10), `progress per step (${progress.length})`);

      // Same as the API in a bare page.
      const expected = await ref.design(start, 'maximize', 10, 1, frozen);
      check(expected.trajectory.length === steps.length, `API trajectory ${expected.trajectory.length} steps, panel ${steps.length}`);
      check(steps.every((st, i) => st.sequence === expected.trajectory[i].sequence && st.edit === expected.trajectory[i].edit), 'same edits as the API');
      assertClose(steps.map((s) => s.prediction), expected.trajectory.map((s) => s.prediction), TOL, 'trajectory predictions vs the API');

      // Each step's prediction is the model's prediction of its sequence.
      const direct = await ref.predict(steps.map((s) => s.sequence));
      const worst = assertClose(steps.map((s) => s.prediction), direct, TOL, 'trajectory prediction vs CamformerModel.predict');
      log(`trajectory vs predict(): max |diff| ${worst.toExponential(2)}`);
      for (const [i, st] of steps.entries()) {
        check(st.sequence.length === 110, 'constructs');
        for (const p of frozen) {
          const at = REGION_START + p - 1;
          check(st.sequence[at] === steps[0].sequence[at], `step ${i}: frozen position ${p} changed`);
        }
        if (i > 0) {
          const pos = Number(/^(\d+)/.exec(st.edit)[1]);
          check(pos > REGION_START && pos <= REGION_START + 80, `edit ${st.edit} inside the random region`);
          check(st.sequence[pos - 1] === st.edit.at(-1), `edit ${st.edit} applied`);
        }
      }
      const improving = steps.every((s, i) => i === 0 || s.prediction > steps[i - 1].prediction);
      check(improving, 'greedy maximizing only takes improving edits');

      // Table with the edited bases marked, plot, status.
      const marks = await inApp(page, 'table.cf-design-table tbody tr').evaluateAll((trs) => trs.map((tr) => tr.querySelectorAll('mark.cf-edited').length));
      check(marks.length === steps.length && marks.every((n, i) => n === steps[i].edits), `edited bases marked per row: ${marks.join(',')}`);
      check((await inApp(page, '.cf-design-chart svg polyline').count()) === 1, 'the line plot is drawn');
      check((await inApp(page, '.cf-design-status').textContent()).startsWith('Finished'), 'the status says finished');

      // TSV export.
      const tsv = await downloadOf(page, () => inApp(page, 'button.cf-design-tsv').click());
      const lines = tsv.bytes.toString('utf8').trim().split('\n');
      check(lines[0] === 'edits\tedit\tprediction\tsequence' && lines.length === steps.length + 1, `design TSV: ${lines.length - 1} rows`);
      check(lines.at(-1).split('\t')[3] === steps.at(-1).sequence, 'the TSV holds the sequences');

      // "ISM" on the last step sends its sequence to the ISM panel (and only there).
      const designInput = await inApp(page, 'textarea.cf-design-sequence').inputValue();
      await inApp(page, 'table.cf-design-table tbody tr:last-child button.cf-design-ism').click();
      await rootQuery(page, () => window.__camformerEvents.some((e) => e.type === 'ism'));
      const ism = (await eventsOf(page, 'ism'))[0];
      check(ism.result.construct === steps.at(-1).sequence, 'ISM of the designed sequence');
      assertClose([ism.result.reference], [steps.at(-1).prediction], TOL, 'ISM reference = the design prediction');
      check((await inApp(page, 'textarea.cf-design-sequence').inputValue()) === designInput, 'the design input is unchanged');
      ref.assertClean();
      app.assertClean();
    },
  },
  {
    name: 'design: a long beam search reports progress and cancels between steps',
    async run({ context, origin, log }) {
      const app = await openPage(context, { origin });
      await recordEvents(app.page);
      const page = app.page;
      await page.goto(`${origin}/www/?backend=cpu&panels=design`);
      await waitReady(page);
      await inApp(page, 'textarea.cf-design-sequence').fill(dreamSample()[5].sequence);
      await inApp(page, 'select.cf-design-goal').selectOption('minimize');
      await inApp(page, 'input.cf-design-max-edits').fill('40');
      await inApp(page, 'input.cf-design-beam').fill('3');
      await inApp(page, 'button.cf-design-start').click();
      check(await inApp(page, 'button.cf-design-start').isDisabled(), 'Start is disabled while running');
      // Wait for the first step, then cancel.
      await rootQuery(page, () => window.__camformerEvents.some((e) => e.type === 'progress' && e.detail.job === 'design' && e.detail.done >= 1));
      check(await inApp(page, 'progress.cf-design-progress').isVisible(), 'a progress bar');
      check(/of 40 steps/.test(await inApp(page, '.cf-design-status').textContent()), 'progress in steps of max edits');
      const t0 = Date.now();
      await inApp(page, 'button.cf-design-cancel').click();
      await rootQuery(page, () => window.__camformerEvents.some((e) => e.type === 'design'));
      const cancelMs = Date.now() - t0;
      const event = (await eventsOf(page, 'design'))[0];
      check(event.cancelled, 'the design event says cancelled');
      const done = Math.max(...(await eventsOf(page, 'progress')).filter((p) => p.job === 'design').map((p) => p.done));
      check(done < 40, `stopped early (${done} of 40 steps)`);
      check(event.result && event.result.steps === done, 'the best sequence so far is kept');
      check((await inApp(page, '.cf-design-status').getAttribute('data-state')) === 'cancelled', 'the status says cancelled');
      check(!(await inApp(page, 'button.cf-design-start').isDisabled()), 'Start is enabled again');
      check((await inApp(page, 'table.cf-design-table tbody tr').count()) === event.result.trajectory.length, 'the partial trajectory stays');
      log(`beam 3: cancelled after ${done} of 40 steps, ${cancelMs} ms after the click`);
      // The worker still works, and a new search runs.
      const p = await page.evaluate(() => document.querySelector('camformer-predictor').predict(['GAATCTTTTCCTAAACAGTGTTGGATATTGATCTCGCATCTACTATTATGAAGTCATTATTACTATATTACCTGACCTAG']));
      check(Number.isFinite(p[0]), 'predicts after cancelling');
      await inApp(page, 'input.cf-design-max-edits').fill('1');
      await inApp(page, 'input.cf-design-beam').fill('1');
      await inApp(page, 'button.cf-design-start').click();
      await rootQuery(page, () => window.__camformerEvents.filter((e) => e.type === 'design').length >= 2);
      const again = (await eventsOf(page, 'design'))[1];
      check(!again.cancelled && again.result.trajectory.length <= 2, 'a new search runs after a cancel');
      app.assertClean();
    },
  },
];
