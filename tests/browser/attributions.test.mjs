// Attributions: the panel's Grad-CAM (default block and a chosen one) and gradient x input equal
// CamformerModel.attribute in the bare page; Grad-CAM's maximum is 1; the logo and the
// channels x 110 heatmap render; SVG / PNG / TSV exports; a bad sequence fails inline.

import { referencePage } from './data.mjs';
import { assertClose, check, downloadOf, eventsOf, inApp, openPage, recordEvents, waitReady } from './harness.mjs';

const TOL = 1e-4;

async function nthAttribution(page, n) {
  await page.waitForFunction((k) => window.__camformerEvents.filter((e) => e.type === 'attribution').length >= k, n, { timeout: 300_000 });
  return (await eventsOf(page, 'attribution'))[n - 1];
}

export const tests = [
  {
    name: 'attributions: Grad-CAM (default and chosen block) and gradient x input equal CamformerModel.attribute; figure; exports',
    async run({ context, origin, log }) {
      const ref = await referencePage(context, origin);
      const app = await openPage(context, { origin });
      await recordEvents(app.page);
      const page = app.page;
      await page.goto(`${origin}/www/?backend=cpu&panels=input,results,attributions`);
      const { detail } = await waitReady(page);
      const blocks = detail.manifest.architecture.blocks.length;

      // Choosing a record computes Grad-CAM of the last block right away.
      await inApp(page, '.cf-input-panel button:text("Example")').click();
      await inApp(page, 'button.cf-predict').click();
      await inApp(page, '.cf-results-panel table.cf-table tbody tr').first().waitFor({ timeout: 120_000 });
      await inApp(page, '.cf-results-panel table.cf-table tbody tr:nth-child(3) button.cf-ism-button').click();
      const cam = await nthAttribution(page, 1);
      const seq = await page.evaluate(() => document.querySelector('camformer-predictor').results.records[2].construct);
      check(cam.sequence === seq && cam.method === 'gradcam' && cam.layer === blocks - 1, `Grad-CAM of the last block (${cam.layer}) of the chosen record`);
      const want = await ref.call('attribute', seq, 'gradcam', null);
      check(cam.result.channels === want.channels && cam.result.values.length === want.channels * 110, `${want.channels} channels x 110`);
      assertClose(cam.result.values, want.values, TOL, 'Grad-CAM values vs CamformerModel.attribute');
      assertClose(cam.result.perPosition, want.perPosition, TOL, 'Grad-CAM per position');
      assertClose([cam.result.prediction, cam.result.scale], [want.prediction, want.scale], TOL, 'prediction and scale');
      check(Math.abs(Math.max(...cam.result.values) - 1) < 1e-6, 'normalised by its maximum (max = 1)');
      check((await inApp(page, 'svg.cf-attr-svg rect.cf-attr-cell').count()) === want.channels * 110, 'the heatmap has channels x 110 cells');
      const cell = Number(await inApp(page, 'svg.cf-attr-svg rect.cf-attr-cell[data-channel="G"][data-pos="50"]').getAttribute('data-value'));
      assertClose([cell], [want.values[2 * 110 + 49]], TOL, 'a heatmap cell');
      check((await inApp(page, 'svg.cf-attr-svg path.cf-attr-letter').count()) > 50, 'the logo');
      check((await inApp(page, '.cf-attr-explain').textContent()).includes('divided by the map’s maximum'), 'says what the values are');
      log(`Grad-CAM in the page: ${cam.elapsedMs.toFixed(0)} ms`);

      // Another block.
      await inApp(page, 'select.cf-attr-layer').selectOption('2');
      const block2 = await nthAttribution(page, 2);
      const want2 = await ref.call('attribute', seq, 'gradcam', 2);
      check(block2.layer === 2, 'block 2');
      assertClose(block2.result.values, want2.values, TOL, 'Grad-CAM of block 2');

      // Gradient x input.
      await inApp(page, 'select.cf-attr-method').selectOption('grad-x-input');
      const gxi = await nthAttribution(page, 3);
      const want3 = await ref.call('attribute', seq, 'grad-x-input', null);
      check(gxi.method === 'grad-x-input' && gxi.result.method === 'grad-x-input', 'gradient x input');
      check(await inApp(page, 'select.cf-attr-layer').isDisabled(), 'no block for gradient x input');
      assertClose(gxi.result.values, want3.values, TOL, 'gradient x input vs CamformerModel.attribute');
      assertClose(gxi.result.perPosition, want3.perPosition, TOL, 'gradient x input per position (channel sum)');

      // Exports.
      const tsv = await downloadOf(page, () => inApp(page, 'button.cf-attr-tsv').click());
      const rows = tsv.bytes.toString('utf8').trim().split('\n');
      check(rows.length === 111 && rows[0].startsWith('position\tbase\tper_position\tA\tC\tG\tT'), `TSV: ${rows.length - 1} rows, ${rows[0]}`);
      check(rows[18].split('\t')[1] === seq[17], 'TSV bases');
      assertClose([Number(rows[50].split('\t')[2])], [want3.perPosition[49]], 1e-5, 'TSV per position');
      const svg = await downloadOf(page, () => inApp(page, 'button.cf-attr-svg').click());
      check(svg.bytes.toString('utf8').includes('<svg'), 'SVG export');
      const png = await downloadOf(page, () => inApp(page, 'button.cf-attr-png').click());
      check(png.bytes.subarray(1, 4).toString('latin1') === 'PNG', 'PNG export');

      // A bad sequence fails inline; the figure stays.
      await inApp(page, 'textarea.cf-attr-sequence').fill(`${seq.slice(0, 40)}X${seq.slice(41)}`);
      await inApp(page, 'button.cf-attr-run').click();
      await inApp(page, '.cf-attributions-panel .cf-error').filter({ hasText: 'position 41' }).waitFor({ state: 'visible', timeout: 30_000 });
      check((await inApp(page, 'svg.cf-attr-svg').count()) === 1, 'the figure stays');
      ref.assertClean();
      app.assertClean();
    },
  },
];
