// What a new user ran into: an input without a valid sequence clears the previous results
// (no stale table or correlation); the DREAM panel says plainly what a predictions file without
// test indices lacks; ISM exports are labelled with the sequence and the mutations
// applied, without on-screen instructions; deleting a base in the ISM box says that the length
// changed and what the model did; at 420 px the Model panel's metrics table keeps its names
// readable; after Predict the results are in view (beside the input on a wide screen, scrolled
// to on a narrow one).

import { check, downloadOf, eventsOf, inApp, openPage, recordEvents, waitReady } from './harness.mjs';

/** Waits for the n-th `ism` event (1-based) and returns its detail. */
async function nthIsm(page, n) {
  await page.waitForFunction((k) => window.__camformerEvents.filter((e) => e.type === 'ism').length >= k, n, { timeout: 300_000 });
  return (await eventsOf(page, 'ism'))[n - 1];
}

/** Whether the element's part `selector` is (at least partly) inside the viewport. */
function inView(page, selector) {
  return page.evaluate((sel) => {
    const box = document.querySelector('camformer-predictor').shadowRoot.querySelector(sel).getBoundingClientRect();
    return box.top < window.innerHeight && box.bottom > 0;
  }, selector);
}

export const tests = [
  {
    name: 'ux: no valid sequence clears stale results; ISM exports name the sequence and mutations without instructions; a deleted base is explained; results in view after Predict',
    async run({ context, origin, log }) {
      const app = await openPage(context, { origin });
      await recordEvents(app.page);
      const page = app.page;
      await page.goto(`${origin}/www/?backend=cpu`);
      await waitReady(page);

      // Predict the example: table, correlation; the results are beside the input, in view.
      await inApp(page, '.cf-input-panel button:text("Example")').click();
      await inApp(page, 'button.cf-predict').click();
      await inApp(page, '.cf-results-panel table.cf-table tbody tr').first().waitFor({ timeout: 120_000 });
      check(await inApp(page, '.cf-pearson').isVisible(), 'r shown for the example');
      check(await inView(page, '.cf-results-panel .cf-summary'), 'at 1280 px the results are in view after Predict');
      const side = await page.evaluate(() => {
        const root = document.querySelector('camformer-predictor').shadowRoot;
        const a = root.querySelector('section[data-panel="input"]').getBoundingClientRect();
        const b = root.querySelector('section[data-panel="results"]').getBoundingClientRect();
        return { sameRow: Math.abs(a.top - b.top) < 2, right: b.left >= a.right };
      });
      check(side.sameRow && side.right, `input and results side by side on a wide screen: ${JSON.stringify(side)}`);

      // Item 1: an input without a valid sequence: no table, no r, no histogram; said so.
      await inApp(page, 'textarea.cf-input').fill('>broken\nACGTXACGT\n>short\nACGT\n');
      await inApp(page, 'button.cf-predict').click();
      await inApp(page, '.cf-input-panel .cf-error').waitFor({ state: 'visible', timeout: 60_000 });
      await page.waitForFunction(() => document.querySelector('camformer-predictor').results === null);
      check((await inApp(page, '.cf-results-panel table.cf-table tbody tr').count()) === 0, 'the old table is gone');
      check(!(await inApp(page, '.cf-results-panel .cf-stats').isVisible()), 'the old correlation is gone');
      check((await inApp(page, '.cf-results-panel .cf-histogram svg').count()) === 0, 'the old histogram is gone');
      const summary = await inApp(page, '.cf-results-panel .cf-summary').textContent();
      check(summary.startsWith('No predictions: none of the 2 records'), `the summary says why: ${summary}`);
      check(await inApp(page, '.cf-results-panel button:text("Download TSV")').isDisabled(), 'downloads disabled');

      // Item 7: ISM of the first example record, a clicked mutation; the exports carry the name,
      // the mutation and the sequence, and no instructions.
      await inApp(page, '.cf-input-panel button:text("Example")').click();
      await inApp(page, 'button.cf-predict').click();
      await inApp(page, '.cf-results-panel table.cf-table tbody tr').first().waitFor({ timeout: 120_000 });
      await inApp(page, '.cf-results-panel table.cf-table tbody tr:first-child button.cf-ism-button').click();
      const first = await nthIsm(page, 1);
      const construct = first.result.construct;
      const cell = inApp(page, 'svg.cf-ism-svg rect.cf-mut[data-pos="60"]').first();
      const alt = await cell.getAttribute('data-alt');
      await cell.click();
      const second = await nthIsm(page, 2);
      const mutation = `${construct[60]}61${alt}`;
      check(second.result.construct === construct.slice(0, 60) + alt + construct.slice(61), 'the mutation is applied');
      await page.waitForFunction(() => document.querySelector('camformer-predictor').shadowRoot.querySelector('.cf-figure')?.dataset.track?.endsWith('done'), null, { timeout: 60_000 });
      const svg = await downloadOf(page, () => inApp(page, '.cf-ism-panel button:text-is("SVG")').click());
      const text = svg.bytes.toString('utf8');
      check(svg.name === `camformer-ism-seq_1_${mutation}.svg`, `the SVG file is named after the sequence and mutation: ${svg.name}`);
      check(text.includes(`seq_1 + ${mutation}`), 'the SVG title names the record and the mutation');
      check(text.includes(second.result.construct), 'the SVG holds the mutated sequence');
      check(!/click|hover/i.test(text), 'no on-screen instructions in the SVG');
      const onScreen = await inApp(page, 'svg.cf-ism-svg').evaluate((el) => el.textContent);
      check(/click/.test(onScreen), 'the figure on screen keeps its instructions');
      const tsv = await downloadOf(page, () => inApp(page, '.cf-ism-panel button:text-is("TSV")').click());
      check(tsv.bytes.toString('utf8').split('\n')[1].startsWith(`seq_1 + ${mutation}\t`), 'the TSV rows name the record and the mutation');
      const png = await downloadOf(page, () => inApp(page, '.cf-ism-panel button:text-is("PNG")').click());
      check(png.name === `camformer-ism-seq_1_${mutation}.png` && png.bytes.subarray(1, 4).toString('latin1') === 'PNG', `PNG export ${png.name}`);

      // Item 8: deleting a base in the ISM box: the step and a note say the length changed and
      // that the model padded it with N.
      const mutated = second.result.construct;
      const deleted = mutated.slice(0, 46) + mutated.slice(47);
      await inApp(page, 'textarea.cf-ism-sequence').fill(deleted);
      const third = await nthIsm(page, 3);
      check(third.result.construct === `${deleted}N`, 'the model read the 109-bp sequence padded with one N');
      const note = inApp(page, '.cf-ism-panel .cf-ism-length');
      await note.waitFor({ state: 'visible', timeout: 30_000 });
      const noteText = await note.textContent();
      check(/Length changed: the sequence is now 109 bp \(was 110\): deleted 1 base at position 47/.test(noteText) && noteText.includes('padded with 1 N'), `the note: ${noteText}`);
      const labels = await inApp(page, 'ol.cf-history li .cf-step-label').allTextContents();
      check(labels.at(-1).startsWith('deleted 1 base at position 47 (109 bp, padded with 1 N'), `the step label: ${labels.at(-1)}`);
      check(!labels.some((l) => /changes\)/.test(l)), `no "edit (N changes)" step: ${labels.join(' | ')}`);
      log(`a deleted base: "${labels.at(-1)}"`);

      // Item 6: a predictions file without test indices: one plain message saying what to give.
      await inApp(page, 'input.cf-dream-predictions').setInputFiles({ name: 'mine.txt', mimeType: 'text/plain', buffer: Buffer.from('0.1\n0.2\n0.3\n0.4\n0.5\n0.6\n0.7\n0.8\n') });
      await inApp(page, 'button.cf-dream-run').click();
      const dream = inApp(page, '.cf-dream-panel .cf-error');
      await dream.waitFor({ state: 'visible', timeout: 60_000 });
      const dreamText = await dream.textContent();
      check(dreamText.startsWith('The predictions file has 8 values and no test indices') && dreamText.includes('idx<TAB>prediction'), `the DREAM panel says what to give: ${dreamText}`);
      check(!/predictions: predictions:/.test(dreamText), 'no doubled prefix');
      app.assertClean();
    },
  },
  {
    name: 'ux: at 420 px the Model panel table keeps names readable, and Predict brings the results into view',
    async run({ context, origin }) {
      const app = await openPage(context, { origin });
      const page = app.page;
      await page.setViewportSize({ width: 420, height: 800 });
      await page.goto(`${origin}/www/?backend=cpu`);
      await waitReady(page);
      // Item 11: every header cell of the metrics tables on at most three lines (not a letter per line).
      await inApp(page, '.cf-model-panel .cf-tree-table th').first().waitFor({ timeout: 30_000 });
      const cells = await inApp(page, '.cf-model-panel .cf-tree-table').evaluateAll((tables) =>
        tables.flatMap((t) =>
          [...t.querySelectorAll('th, td')].map((cell) => {
            const range = document.createRange();
            range.selectNodeContents(cell);
            const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
            return { text: cell.textContent, lines };
          }),
        ),
      );
      check(cells.length > 10, `metrics table cells found (${cells.length})`);
      const broken = cells.filter((c) => c.lines > 3);
      check(broken.length === 0, `cells broken over more than 3 lines at 420 px: ${JSON.stringify(broken.slice(0, 3))}`);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      check(width <= 420, `the page does not scroll sideways at 420 px (${width} px wide)`);

      // Item 12: Predict, then the results' summary is in the viewport.
      await inApp(page, '.cf-input-panel button:text("Example")').click();
      await inApp(page, 'button.cf-predict').click();
      await inApp(page, '.cf-results-panel table.cf-table tbody tr').first().waitFor({ timeout: 120_000 });
      await page.waitForFunction(() => {
        const box = document.querySelector('camformer-predictor').shadowRoot.querySelector('.cf-results-panel .cf-summary').getBoundingClientRect();
        return box.top >= 0 && box.bottom <= window.innerHeight;
      }, null, { timeout: 10_000 });
      app.assertClean();
    },
  },
  {
    name: 'ux: a motif name shared by several versions (UME6) is called ambiguous, with its ids',
    async run({ context, origin, log }) {
      const app = await openPage(context, { origin });
      const page = app.page;
      await page.goto(`${origin}/www/?backend=cpu`);
      await waitReady(page);
      const picker = inApp(page, 'input.cf-insert-motif');
      const info = inApp(page, '.cf-motif-info');
      await page.waitForFunction(() => document.querySelector('camformer-predictor').shadowRoot.querySelector('.cf-motif-info')?.textContent.includes('MA0320.1'), null, { timeout: 120_000 });
      await picker.fill('UME6');
      const text = await info.textContent();
      log(`UME6: "${text}"`);
      check(/ambiguous/.test(text) && /MA0412\.1/.test(text) && /MA0412\.3/.test(text), `UME6 listed as ambiguous: ${text}`);
      await picker.fill('NOPE1');
      check(/no motif 'NOPE1'/.test(await info.textContent()), 'an unknown name says so');
      await picker.fill('MA0412.2');
      check((await info.textContent()).startsWith('MA0412.2 UME6'), 'an id picks one version');
      app.assertClean();
    },
  },
  {
    name: 'ux: CSV and TSV tables with or without a header are read, NA is a missing value, and the panel says which columns it used',
    async run({ context, origin }) {
      const app = await openPage(context, { origin });
      await recordEvents(app.page);
      const page = app.page;
      await page.goto(`${origin}/www/?backend=cpu&panels=input,results`);
      await waitReady(page);
      const region = 'ACGTTGCA'.repeat(10);
      const other = 'TTGCAACG'.repeat(10);
      const note = inApp(page, '.cf-layout-note');
      const predictText = async (text) => {
        await inApp(page, 'textarea.cf-input').fill(text);
        await inApp(page, 'button.cf-predict').click();
        await page.waitForFunction((t) => document.querySelector('camformer-predictor').shadowRoot.querySelector('textarea.cf-input').value === t && window.__camformerEvents.filter((e) => e.type === 'prediction').length > 0, text);
        const n = (await eventsOf(page, 'prediction')).length;
        return { records: await page.evaluate(() => document.querySelector('camformer-predictor').results.records), n };
      };

      // A CSV with a header, a missing value written NA.
      let r = await predictText(`name,sequence,expression\np1,${region},1.5\np2,${other},NA\n`);
      check(r.records.length === 2 && r.records[0].name === 'p1' && r.records[0].value === 1.5 && r.records[1].value === null, `CSV with a header: ${JSON.stringify(r.records.map((x) => [x.name, x.value]))}`);
      await note.filter({ hasText: 'Read as CSV with a header line' }).waitFor({ timeout: 30_000 });
      const text = await note.textContent();
      check(text.includes('sequences from column 2 "sequence"') && text.includes('measured values from column 3 "expression"') && text.includes('names from column 1 "name"'), `the columns used are named: ${text}`);

      // name<TAB>sequence without a header: the sequence column is found by its content.
      await page.evaluate(() => (window.__camformerEvents.length = 0));
      r = await predictText(`p1\t${region}\np2\t${other}\n`);
      check(r.records.length === 2 && r.records[1].name === 'p2' && r.records.every((x) => x.value === null), 'name<TAB>sequence read without a header');
      await note.filter({ hasText: 'Read as TSV without a header line: sequences from column 2, no measured values, names from column 1.' }).waitFor({ timeout: 30_000 });

      // FASTA needs no explanation.
      await page.evaluate(() => (window.__camformerEvents.length = 0));
      await predictText(`>a\n${region}\n`);
      check(await note.isHidden(), 'no layout note for FASTA');
      app.assertClean();
    },
  },
];
