// The variants panel: the reference is prefilled from the record chosen in the predictions
// table; triples, several per line, the compact `12A>G` form, comments and sequence pairs give
// the same effects as CamformerModel.variants in a bare page; TSV export; a bad line is listed
// naming the line while the other lines are evaluated; a flank edit is flagged.

import { referencePage } from './data.mjs';
import { assertClose, check, downloadOf, eventsOf, inApp, openPage, recordEvents, waitReady } from './harness.mjs';

const TOL = 1e-4;
const OTHER = { A: 'G', C: 'T', G: 'A', T: 'C' };

export const tests = [
  {
    name: 'variants: prefilled reference, effects equal CamformerModel.variants, TSV, every bad line listed, flank edits flagged',
    async run({ context, origin, log }) {
      const ref = await referencePage(context, origin);
      const app = await openPage(context, { origin });
      await recordEvents(app.page);
      const page = app.page;
      await page.goto(`${origin}/www/?backend=cpu`);
      await waitReady(page);

      // Predict the example and choose its second record: the variants reference follows.
      await inApp(page, '.cf-input-panel button:text("Example")').click();
      await inApp(page, 'button.cf-predict').click();
      await inApp(page, '.cf-results-panel table.cf-table tbody tr').first().waitFor({ timeout: 120_000 });
      const chosen = await page.evaluate(() => document.querySelector('camformer-predictor').results.records[1].construct);
      await inApp(page, '.cf-results-panel table.cf-table tbody tr:nth-child(2) button.cf-ism-button').click();
      const reference = inApp(page, 'textarea.cf-variants-reference');
      await page.waitForFunction(
        (want) => document.querySelector('camformer-predictor').shadowRoot.querySelector('textarea.cf-variants-reference').value === want,
        chosen,
        { timeout: 30_000 },
      );
      check((await reference.inputValue()) === chosen, 'the reference is the chosen record (110-bp construct)');

      // Construct positions (the app's one convention); r-prefixed ones are in the random region.
      const c = chosen;
      const tri = (p) => `${p} ${c[p - 1]} ${OTHER[c[p - 1]]}`;
      const mutant = c.slice(0, 49) + OTHER[c[49]] + c.slice(50);
      const text = [
        tri(30),
        `${tri(40)}, ${tri(60)}; ${tri(70)}`,
        '# a comment line',
        `r58${c[74]}>${OTHER[c[74]]}`,
        '',
        `${c} ${mutant}`,
      ].join('\n');
      await inApp(page, 'textarea.cf-variants-text').fill(text);
      await inApp(page, 'button.cf-variants-run').click();
      await page.waitForFunction(() => window.__camformerEvents.some((e) => e.type === 'variants'), null, { timeout: 300_000 });
      const event = (await eventsOf(page, 'variants'))[0];
      const expected = (await ref.variants(c, text)).effects;
      const got = event.result.effects;
      check(expected.length === 4 && got.length === 4 && event.result.rejected.length === 0, `4 variant sets (${got.length})`);
      check(JSON.stringify(got.map((e) => [e.line, e.label])) === JSON.stringify(expected.map((e) => [e.line, e.label])), `lines and labels: ${JSON.stringify(got.map((e) => [e.line, e.label]))}`);
      check(got[2].label === `75${c[74]}>${OTHER[c[74]]}`, `r58 is labelled as construct 75: ${got[2].label}`);
      check(got.map((e) => e.line).join(',') === '1,2,4,6', 'lines count comments and blanks');
      check(got.every((e) => e.flankEdit === false), 'no flank edits');
      for (const key of ['reference', 'alternative', 'delta']) {
        assertClose(got.map((e) => e[key]), expected.map((e) => e[key]), TOL, `variants ${key} vs CamformerModel.variants`);
      }
      log(`variants: ${got.length} sets in ${event.elapsedMs.toFixed(0)} ms; labels ${got.map((e) => e.label).join(' | ')}`);

      // The table shows them.
      const rows = await inApp(page, 'table.cf-variants-table tbody tr').evaluateAll((trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
      );
      check(rows.length === 4, `4 table rows (${rows.length})`);
      check(rows[1][1] === expected[1].label, `row label ${rows[1][1]}`);
      assertClose(rows.map((r) => Number(r[4])), expected.map((e) => e.delta), 1e-4 + 5e-5, 'table deltas');

      // TSV export.
      const tsv = await downloadOf(page, () => inApp(page, 'button.cf-variants-tsv').click());
      const lines = tsv.bytes.toString('utf8').trim().split('\n');
      check(lines[0] === 'line\tvariant\treference\talternative\tdelta\tnote', `TSV header: ${lines[0]}`);
      check(lines.length === 5, `TSV rows: ${lines.length - 1}`);
      assertClose(lines.slice(1).map((l) => Number(l.split('\t')[4])), expected.map((e) => e.delta), 1e-5, 'TSV deltas');

      // A wrong reference base on line 2 and a flank edit on line 3: line 2 is listed with the
      // API's message, lines 1 and 3 are evaluated, and line 3 is flagged.
      const wrong = OTHER[c[40 - 1]];
      const bad = `${tri(30)}\n40 ${wrong} ${c[39]}\n${tri(3)}\n`;
      await inApp(page, 'textarea.cf-variants-text').fill(bad);
      await inApp(page, 'button.cf-variants-run').click();
      const box = inApp(page, '.cf-variants-panel .cf-error');
      await box.filter({ hasText: 'Line 2 could not be read' }).waitFor({ state: 'visible', timeout: 60_000 });
      const api = await ref.variants(c, bad);
      check(api.effects.length === 2 && api.rejected.length === 1, `the API evaluates the good lines: ${JSON.stringify(api.rejected)}`);
      const items = await inApp(page, '.cf-variants-rejected li').allTextContents();
      check(items.length === 1 && items[0] === api.rejected[0].message, `the listed line is the API's message: ${items}`);
      check(/line 2\b/.test(items[0]) && items[0].includes('position 40 (region 23)'), `the message names the line and position: ${items[0]}`);
      check((await box.getAttribute('data-line')) === '2', 'the failing line is marked');
      const flagged = await inApp(page, 'table.cf-variants-table tbody tr').evaluateAll((trs) =>
        trs.map((tr) => [tr.dataset.line, tr.querySelector('.cf-variant-note').textContent]),
      );
      check(JSON.stringify(flagged) === JSON.stringify([['1', ''], ['3', 'flank edit']]), `lines 1 and 3 evaluated, 3 flagged: ${JSON.stringify(flagged)}`);
      check(api.effects[1].flankEdit === true, 'the API flags the flank edit');
      const events = await eventsOf(page, 'variants');
      check(events.at(-1).result.rejected.length === 1, 'the variants event carries the rejected line');
      ref.assertClean();
      app.assertClean();
    },
  },
];
