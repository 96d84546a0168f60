// Motifs: the ISM panel's motif track equals scanMotifs (random region or whole construct,
// p-value threshold, a user MEME file kept in IndexedDB); a clicked hit is ablated in the Motifs
// panel; insert / ablate / tile / pair / matrix in the Motifs panel equal the CamformerModel
// methods called directly in the bare page; TSV / SVG exports; cancellation; inline errors.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { referencePage } from './data.mjs';
import { ROOT, assertClose, check, downloadOf, eventsOf, inApp, openPage, recordEvents, waitReady } from './harness.mjs';

const TOL = 1e-4;
const MEME = path.join(ROOT, 'tests', 'data', 'motifs', 'jaspar2024_ime1_ume6.meme');

/** The hits drawn on the track (construct coordinates), sorted. */
async function trackHits(page) {
  const hits = await inApp(page, 'svg.cf-ism-svg g.cf-hit').evaluateAll((gs) => gs.map((g) => ({ ...g.dataset })));
  return hits.map((x) => ({ motif: x.motif, start: Number(x.start), end: Number(x.end), strand: x.strand, pValue: Number(x.pValue) })).sort(order);
}

function order(a, b) {
  return a.start - b.start || a.end - b.end || a.motif.localeCompare(b.motif) || a.strand.localeCompare(b.strand);
}

/** scanMotifs' hits moved to construct coordinates (`offset` 17 for the random region). */
function expectedHits(hits, offset) {
  return hits.map((x) => ({ motif: x.motifId, start: x.start + offset, end: x.end + offset, strand: x.strand, pValue: x.pValue })).sort(order);
}

function sameHits(shown, expected, what) {
  check(shown.length === expected.length, `${what}: ${shown.length} hits drawn, scanMotifs finds ${expected.length}`);
  shown.forEach((x, i) => {
    const e = expected[i];
    check(x.motif === e.motif && x.start === e.start && x.end === e.end && x.strand === e.strand, `${what}: hit ${i} ${JSON.stringify(x)} vs ${JSON.stringify(e)}`);
    check(Math.abs(x.pValue - e.pValue) <= 1e-12 * e.pValue, `${what}: p-value ${x.pValue} vs ${e.pValue}`);
  });
}

/** Waits until the track shows `set|scope|p|done` and returns its hits. */
async function waitTrack(page, { set = 'shipped', scope = 'region', p = '1e-4' } = {}) {
  await page.waitForFunction(
    (want) => document.querySelector('camformer-predictor').shadowRoot.querySelector('.cf-ism-panel .cf-figure')?.dataset.track === want,
    [set, scope, p, 'done'].join('|'),
    { timeout: 120_000 },
  );
  return trackHits(page);
}

async function nthEvent(page, type, n, filter = null) {
  await page.waitForFunction(
    ([t, k, f]) => window.__camformerEvents.filter((e) => e.type === t && (!f || e.detail.kind === f)).length >= k,
    [type, n, filter],
    { timeout: 300_000 },
  );
  return (await eventsOf(page, type)).filter((d) => !filter || d.kind === filter)[n - 1];
}

export const tests = [
  {
    name: 'motifs: the ISM motif track equals scanMotifs (threshold, scope, user MEME file kept in IndexedDB); a clicked hit is ablated',
    async run({ context, origin, log }) {
      const ref = await referencePage(context, origin);
      const app = await openPage(context, { origin });
      await recordEvents(app.page);
      const page = app.page;
      await page.goto(`${origin}/www/?backend=cpu&panels=input,results,ism,motifs`);
      await waitReady(page);

      // The sixth example record holds IME1 and UME6 sites.
      await inApp(page, '.cf-input-panel button:text("Example")').click();
      await inApp(page, 'button.cf-predict').click();
      await inApp(page, '.cf-results-panel table.cf-table tbody tr').first().waitFor({ timeout: 120_000 });
      await inApp(page, '.cf-results-panel table.cf-table tbody tr:nth-child(6) button.cf-ism-button').click();
      await page.waitForFunction(() => window.__camformerEvents.some((e) => e.type === 'ism'), null, { timeout: 120_000 });
      const construct = (await eventsOf(page, 'ism'))[0].result.construct;
      const region = construct.slice(17, 97);

      // Default: the random region at p <= 1e-4, as the paper.
      check((await inApp(page, 'input.cf-track-p').inputValue()) === '1e-4', 'the threshold defaults to 1e-4');
      check((await inApp(page, 'select.cf-track-scope').inputValue()) === 'region', 'the scan covers the random region by default');
      const expected = expectedHits(await ref.call('scanMotifs', region, null, 1e-4, null), 17);
      check(expected.some((x) => x.motif === 'MA0320.1') && expected.some((x) => x.motif === 'MA0412.3'), 'the sequence has IME1 and UME6 hits');
      let shown = await waitTrack(page);
      sameHits(shown, expected, 'track (random region, 1e-4)');
      log(`motif track: ${shown.length} hits (${[...new Set(shown.map((x) => x.motif))].join(', ')})`);
      // Aligned with the heatmap: a hit's box starts at its first column.
      const aligned = await inApp(page, 'svg.cf-ism-svg').evaluate((svg) => {
        const g = svg.querySelector('g.cf-hit');
        const start = Number(g.dataset.start);
        const cell = svg.querySelector(`rect.cf-cell[data-pos="${start - 1}"]`);
        const box = g.querySelector('path').getBBox();
        return { box: box.x, cell: Number(cell.getAttribute('x')), strand: g.dataset.strand, width: box.width, title: g.querySelector('title').textContent };
      });
      check(Math.abs(aligned.box - aligned.cell) < 0.01, `the hit box starts at its heatmap column (${aligned.box} vs ${aligned.cell})`);
      const first = shown[0];
      check(aligned.title.includes(first.motif) && /score [\d.]+, p = [\d.]+e-\d/.test(aligned.title) && aligned.title.includes('matched'), `tooltip: ${aligned.title}`);

      // A stricter threshold, then the whole construct.
      await inApp(page, 'input.cf-track-p').fill('1e-5');
      const strict = expectedHits(await ref.call('scanMotifs', region, null, 1e-5, null), 17);
      shown = await waitTrack(page, { p: '1e-5' });
      sameHits(shown, strict, 'track (random region, 1e-5)');
      await inApp(page, 'select.cf-track-scope').selectOption('construct');
      const whole = expectedHits(await ref.call('scanMotifs', construct, null, 1e-5, null), 0);
      shown = await waitTrack(page, { scope: 'construct', p: '1e-5' });
      sameHits(shown, whole, 'track (whole construct, 1e-5)');
      await inApp(page, 'select.cf-track-scope').selectOption('region');
      await inApp(page, 'input.cf-track-p').fill('1e-4');
      shown = await waitTrack(page);
      sameHits(shown, expected, 'track (back to the defaults)');

      // A click on a hit: the Motifs panel ablates it (shuffle, seed 1) and shows the delta.
      const target = shown.find((x) => x.motif === 'MA0320.1');
      await inApp(page, `svg.cf-ism-svg g.cf-hit[data-motif="MA0320.1"][data-start="${target.start}"]`).click();
      const ablation = await nthEvent(page, 'motif', 1, 'ablate');
      const want = await ref.call('motifAblate', construct, target.start - 17, target.end - target.start + 1, null, 1);
      check(ablation.params.position === target.start - 17 && ablation.params.length === target.end - target.start + 1, `the hit's positions: ${JSON.stringify(ablation.params)}`);
      check(ablation.result.effects[0].edit.bases === want.effects[0].edit.bases, 'the same shuffle as the API');
      assertClose([ablation.result.effects[0].delta], [want.effects[0].delta], TOL, 'hit ablation delta vs CamformerModel.motifAblate');
      const row = await inApp(page, 'table.cf-motif-edits tbody tr').first().textContent();
      check(row.includes('shuffle') && row.includes(want.effects[0].edit.bases), `the edits table shows it: ${row}`);
      log(`ablating the IME1 hit at ${target.start}-${target.end} (shuffle): Δ ${want.effects[0].delta.toFixed(4)}`);

      // A user MEME file: the track uses it; it is kept across a reload; back to the shipped set.
      const meme = readFileSync(MEME, 'utf8');
      await inApp(page, '.cf-ism-panel input.cf-motif-file').setInputFiles(MEME);
      await inApp(page, '.cf-ism-panel .cf-motif-set-name').filter({ hasText: 'jaspar2024_ime1_ume6.meme' }).waitFor({ timeout: 30_000 });
      const user = expectedHits(await ref.call('scanMotifs', region, meme, 1e-4, null), 17);
      check(user.length > 0 && user.every((x) => ['MA0320.1', 'MA0412.1', 'MA0412.2', 'MA0412.3'].includes(x.motif)), 'only the file’s motifs');
      sameHits(await waitTrack(page, { set: 'jaspar2024_ime1_ume6.meme' }), user, 'track (user MEME file)');
      check((await inApp(page, '.cf-motifs-panel .cf-motif-set-name').textContent()).includes('jaspar2024_ime1_ume6.meme'), 'the Motifs panel uses the file too');
      await page.reload();
      await waitReady(page);
      await inApp(page, '.cf-ism-panel .cf-motif-set-name').filter({ hasText: 'your file jaspar2024_ime1_ume6.meme (4 motifs)' }).waitFor({ timeout: 30_000 });
      await inApp(page, '.cf-ism-panel button.cf-motif-reset').click();
      await inApp(page, '.cf-ism-panel .cf-motif-set-name').filter({ hasText: 'shipped' }).waitFor({ timeout: 30_000 });
      // A file that is not MEME fails inline and changes nothing.
      await inApp(page, '.cf-ism-panel input.cf-motif-file').setInputFiles({ name: 'bad.meme', mimeType: 'text/plain', buffer: Buffer.from('not a motif file\n') });
      const bad = inApp(page, '.cf-ism-panel .cf-motif-set .cf-error');
      await bad.waitFor({ state: 'visible', timeout: 30_000 });
      check((await bad.textContent()).includes('MEME'), `bad file: ${await bad.textContent()}`);
      check((await inApp(page, '.cf-ism-panel .cf-motif-set-name').textContent()).includes('shipped'), 'still the shipped motifs');
      ref.assertClean();
      app.assertClean();
    },
  },
  {
    name: 'motifs: insert, ablate, tile, pair (IME1/UME6) and matrix equal the API; exports; cancel; inline errors',
    async run({ context, origin, log }) {
      const ref = await referencePage(context, origin);
      const app = await openPage(context, { origin });
      await recordEvents(app.page);
      const page = app.page;
      await page.goto(`${origin}/www/?backend=cpu&panels=input,results,motifs`);
      await waitReady(page);
      await inApp(page, '.cf-input-panel button:text("Example")').click();
      await inApp(page, 'button.cf-predict').click();
      await inApp(page, '.cf-results-panel table.cf-table tbody tr').first().waitFor({ timeout: 120_000 });
      await inApp(page, '.cf-results-panel table.cf-table tbody tr:nth-child(2) button.cf-ism-button').click();
      const records = await page.evaluate(() => document.querySelector('camformer-predictor').results.records.map((r) => r.construct));
      const seq = records[1];
      await page.waitForFunction((want) => document.querySelector('camformer-predictor').shadowRoot.querySelector('textarea.cf-motifs-sequence').value === want, seq);

      // The hits table: scanMotifs of the random region.
      const hits = await ref.call('scanMotifs', seq.slice(17, 97), null, 1e-4, null);
      await inApp(page, '.cf-motif-hits-note').filter({ hasText: `${hits.length} hit` }).waitFor({ timeout: 60_000 });
      check((await inApp(page, 'table.cf-motif-hits tbody tr').count()) === hits.length, `hits table: ${hits.length} rows`);

      // Insert the IME1 consensus (+) at 30, then a typed site on the - strand at 5.
      await inApp(page, 'button.cf-insert-run').click();
      let e = await nthEvent(page, 'motif', 1, 'insert');
      let want = await ref.call('motifInsert', seq, 'MA0320.1', null, '+', 30, null);
      check(e.result.effects[0].edit.bases === 'CCGCCGAG' && want.effects[0].edit.bases === 'CCGCCGAG', 'the consensus is inserted');
      assertClose([e.result.reference, e.result.effects[0].prediction, e.result.effects[0].delta], [want.reference, want.effects[0].prediction, want.effects[0].delta], TOL, 'insert vs CamformerModel.motifInsert');
      log(`insert IME1 consensus at 30: Δ ${want.effects[0].delta.toFixed(4)}`);
      await inApp(page, 'input.cf-insert-site').fill('ccgccgaa');
      await inApp(page, 'select.cf-insert-strand').selectOption('-');
      // Construct position 22 is random-region position 5.
      await inApp(page, 'input.cf-insert-position').fill('22');
      await inApp(page, 'button.cf-insert-run').click();
      e = await nthEvent(page, 'motif', 2, 'insert');
      want = await ref.call('motifInsert', seq, 'MA0320.1', 'ccgccgaa', '-', 5, null);
      check(e.result.effects[0].edit.bases === want.effects[0].edit.bases && want.effects[0].edit.bases === 'TTCGGCGG', `reverse complement written: ${e.result.effects[0].edit.bases}`);
      assertClose([e.result.effects[0].delta], [want.effects[0].delta], TOL, 'typed site, - strand');

      // Ablate by replacement.
      await inApp(page, 'input.cf-ablate-position').fill('r10');
      await inApp(page, 'select.cf-ablate-mode').selectOption('replace');
      await inApp(page, 'input.cf-ablate-replacement').fill('ACGTACGT');
      await inApp(page, 'button.cf-ablate-run').click();
      e = await nthEvent(page, 'motif', 1, 'ablate');
      want = await ref.call('motifAblate', seq, 10, 8, 'ACGTACGT', 1);
      assertClose([e.result.effects[0].delta], [want.effects[0].delta], TOL, 'replacement vs CamformerModel.motifAblate');
      check((await inApp(page, 'table.cf-motif-edits tbody tr').count()) === 3, 'three edits listed');
      const edits = await downloadOf(page, () => inApp(page, 'button.cf-edits-tsv').click());
      check(edits.bytes.toString('utf8').trim().split('\n').length === 4, 'edits TSV: 3 rows');

      // Inline errors: a site that does not fit, an unknown motif.
      await inApp(page, 'input.cf-insert-position').fill('r79');
      await inApp(page, 'button.cf-insert-run').click();
      const err = inApp(page, '.cf-motifs-panel .cf-error');
      await err.filter({ hasText: 'position 79' }).waitFor({ state: 'visible', timeout: 30_000 });
      // A flank position is refused, saying where the random region is.
      await inApp(page, 'input.cf-insert-position').fill('5');
      await inApp(page, 'button.cf-insert-run').click();
      await err.filter({ hasText: '5 (5′ flank) is in a constant flank' }).waitFor({ state: 'visible', timeout: 30_000 });
      await inApp(page, 'input.cf-insert-motif').fill('NOSUCH');
      await inApp(page, 'button.cf-insert-run').click();
      await err.filter({ hasText: "no motif 'NOSUCH'" }).waitFor({ state: 'visible', timeout: 30_000 });
      await inApp(page, 'input.cf-insert-motif').fill('MA0320.1');
      await inApp(page, 'input.cf-insert-site').fill('');

      // Tile: every placement on both strands equals motifTile; the plot has them all; TSV.
      await inApp(page, 'button.cf-tile-run').click();
      e = await nthEvent(page, 'motif', 1, 'tile');
      const tile = await ref.call('motifTile', seq, 'MA0320.1', null, null);
      check(e.result.points.length === tile.points.length && tile.points.length === 146, `146 placements (${e.result.points.length})`);
      check(e.result.points.every((p, i) => p.position === tile.points[i].position && p.strand === tile.points[i].strand), 'same placements');
      assertClose(e.result.points.map((p) => p.prediction), tile.points.map((p) => p.prediction), TOL, 'tile predictions vs CamformerModel.motifTile');
      check((await inApp(page, 'svg.cf-tile-svg circle.cf-tile-point').count()) === 146 && (await inApp(page, 'svg.cf-tile-svg polyline').count()) === 2, 'the plot: two lines, 146 points');
      const tileTsv = await downloadOf(page, () => inApp(page, 'button.cf-tile-tsv').click());
      const tileRows = tileTsv.bytes.toString('utf8').trim().split('\n');
      check(tileRows.length === 147 && tileRows[0] === 'site\tbases\tposition\tstrand\tprediction\tdelta', `tile TSV: ${tileRows.length - 1} rows`);
      log(`tile IME1: ${e.elapsedMs.toFixed(0)} ms for 146 placements`);

      // Pair interaction, the paper's defaults: IME1 MA0320.1 x UME6 MA0412.3, 100 random backgrounds.
      check((await inApp(page, 'input.cf-pair-a').inputValue()) === 'MA0320.1' && (await inApp(page, 'input.cf-pair-b').inputValue()) === 'MA0412.3', 'IME1 / UME6 by default');
      check((await inApp(page, 'input.cf-pair-n').inputValue()) === '100', 'N = 100 by default');
      await inApp(page, 'button.cf-pair-run').click();
      e = await nthEvent(page, 'motif', 1, 'pair');
      const pair = await ref.call('motifPair', 'MA0320.1', 'MA0412.3', [], 100, 1, null);
      const keys = ['none', 'with_a', 'with_b', 'with_ab', 'interaction'];
      assertClose(keys.map((k) => e.result[k].mean), keys.map((k) => pair[k].mean), 1e-5, 'pair means vs CamformerModel.motifPair (the same random backgrounds)');
      assertClose(keys.map((k) => e.result[k].se), keys.map((k) => pair[k].se), 1e-5, 'pair standard errors');
      check(keys.every((k) => e.result[k].n === 100), 'n = 100');
      const shownRows = await inApp(page, 'table.cf-pair-table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
      check(shownRows.length === 5 && Math.abs(Number(shownRows[4][1]) - pair.interaction.mean) < 1e-4, `the table: ${JSON.stringify(shownRows)}`);
      log(
        `pair IME1 x UME6, 100 random backgrounds (seed 1): none ${pair.none.mean.toFixed(4)}, A ${pair.with_a.mean.toFixed(4)}, B ${pair.with_b.mean.toFixed(4)}, A+B ${pair.with_ab.mean.toFixed(4)}, interaction ${pair.interaction.mean.toFixed(5)} ± ${pair.interaction.se.toFixed(5)}; ${e.elapsedMs.toFixed(0)} ms in the page`,
      );
      const pairTsv = await downloadOf(page, () => inApp(page, 'button.cf-pair-tsv').click());
      check(pairTsv.bytes.toString('utf8').trim().split('\n').length === 2, 'pair TSV');

      // The predicted records as backgrounds.
      await inApp(page, 'select.cf-pair-source').selectOption('records');
      await inApp(page, 'button.cf-pair-run').click();
      e = await nthEvent(page, 'motif', 2, 'pair');
      const onRecords = await ref.call('motifPair', 'MA0320.1', 'MA0412.3', records, 0, 0, null);
      check(e.result.none.n === records.length, `n = ${records.length} records`);
      assertClose(keys.map((k) => e.result[k].mean), keys.map((k) => onRecords[k].mean), 1e-5, 'pair on the records');
      await inApp(page, 'select.cf-pair-source').selectOption('random');

      // The matrix over two motifs, 20 backgrounds: four cells equal motifMatrix.
      await inApp(page, 'input.cf-matrix-ids').fill('MA0320.1, UME6');
      await inApp(page, 'button.cf-matrix-run').click();
      const ambiguous = inApp(page, '.cf-motifs-panel .cf-error').filter({ hasText: 'UME6' });
      await ambiguous.waitFor({ state: 'visible', timeout: 30_000 });
      await inApp(page, 'input.cf-matrix-ids').fill('MA0320.1, MA0412.3');
      await inApp(page, 'input.cf-pair-n').fill('20');
      await inApp(page, 'button.cf-matrix-run').click();
      e = await nthEvent(page, 'motif', 1, 'matrix');
      const matrix = await ref.call('motifMatrix', ['MA0320.1', 'MA0412.3'], [], 20, 1, null);
      const flat = (m) => m.pairs.flat().flatMap((p) => keys.map((k) => p[k].mean));
      assertClose(flat(e.result), flat(matrix), 1e-5, 'matrix vs CamformerModel.motifMatrix');
      const cells = await inApp(page, 'svg.cf-matrix-svg rect.cf-matrix-cell').evaluateAll((rs) => rs.map((r) => Number(r.dataset.interaction)));
      assertClose(cells, matrix.pairs.flat().map((p) => p.interaction.mean), 1e-5, 'heatmap cells');
      const title = await inApp(page, 'svg.cf-matrix-svg rect.cf-matrix-cell').first().locator('title').textContent();
      check(title.includes('interaction') && title.includes('IME1'), `cell tooltip: ${title}`);
      const matrixTsv = await downloadOf(page, () => inApp(page, 'button.cf-matrix-tsv').click());
      check(matrixTsv.bytes.toString('utf8').trim().split('\n').length === 5, 'matrix TSV: 4 pairs');
      const matrixSvg = await downloadOf(page, () => inApp(page, 'button.cf-matrix-svg-button').click());
      check(matrixSvg.bytes.toString('utf8').includes('<svg'), 'matrix SVG');

      // A long matrix is cancelled between chunks; the worker keeps working.
      await inApp(page, 'input.cf-matrix-ids').fill('MA0320.1, MA0412.3, MA0363.3, MA0265.3');
      await inApp(page, 'input.cf-pair-n').fill('5000');
      await inApp(page, 'button.cf-matrix-run').click();
      await page.waitForFunction(() => window.__camformerEvents.some((x) => x.type === 'progress' && x.detail.job === 'motifMatrix' && x.detail.total === 5000), null, { timeout: 120_000 });
      const t0 = Date.now();
      await inApp(page, 'button.cf-pair-cancel').click();
      await inApp(page, '.cf-pair-status').filter({ hasText: 'Cancelled.' }).waitFor({ timeout: 60_000 });
      log(`a 5,000-background matrix cancelled within ${Date.now() - t0} ms`);
      await inApp(page, 'input.cf-insert-position').fill('47');
      await inApp(page, 'button.cf-insert-run').click();
      await nthEvent(page, 'motif', 3, 'insert');
      ref.assertClean();
      app.assertClean();
    },
  },
];
