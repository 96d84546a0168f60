// Other weights: loading a .safetensors + manifest.json from the model panel, keeping them in
// IndexedDB across a reload, and a bad file failing inline while the current model keeps working.

import path from 'node:path';
import { existsSync } from 'node:fs';
import { assertBuiltInModelIsDefault } from './data.mjs';
import { check, inApp, openPage, waitReady } from './harness.mjs';

const EXAMPLE = 'GAATCTTTTCCTAAACAGTGTTGGATATTGATCTCGCATCTACTATTATGAAGTCATTATTACTATATTACCTGACCTAG';

export const tests = [
  {
    name: 'model: user weights load, persist in IndexedDB across a reload, bad files fail inline',
    async run({ context, origin, root, log }) {
      const dir = path.join(root, 'models', 'default');
      const weights = path.join(dir, 'model.safetensors');
      const manifest = path.join(dir, 'manifest.json');
      check(existsSync(weights) && existsSync(manifest), `${dir} holds the shipped model`);
      const app = await openPage(context, { origin });
      const page = app.page;
      await page.goto(`${origin}/www/?backend=cpu`);
      // The test loads models/default as user weights and expects the built-in model's numbers.
      assertBuiltInModelIsDefault((await waitReady(page)).detail);
      const predict = () => page.evaluate((s) => document.querySelector('camformer-predictor').predict([s]), EXAMPLE);
      const before = await predict();
      check((await inApp(page, '.cf-model-card').textContent()).includes('Parameters'), 'the model card shows the parameters');

      // A bad file: an inline error, the model stays.
      await inApp(page, 'input.cf-weights-files').setInputFiles({ name: 'broken.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('not a safetensors file at all') });
      await inApp(page, 'button.cf-load-weights').click();
      await inApp(page, '.cf-model-panel .cf-error').waitFor({ state: 'visible', timeout: 60_000 });
      log(`bad weights: "${(await inApp(page, '.cf-model-panel .cf-error').textContent()).slice(0, 120)}"`);
      check((await predict())[0] === before[0], 'the previous model still predicts');

      // The shipped weights as user weights: same predictions, kept in IndexedDB.
      await inApp(page, 'input.cf-weights-files').setInputFiles([weights, manifest]);
      await inApp(page, 'button.cf-load-weights').click();
      await inApp(page, '.cf-model-panel .cf-note').waitFor({ state: 'visible', timeout: 120_000 });
      check(Math.abs((await predict())[0] - before[0]) < 1e-6, 'same weights, same prediction');
      await page.waitForFunction(() => document.querySelector('camformer-predictor').shadowRoot.querySelectorAll('.cf-stored li').length === 2);
      check(!(await inApp(page, '.cf-stored li').first().getAttribute('class'))?.includes('cf-current'), 'the stored model is in use');

      await page.reload();
      await waitReady(page);
      await page.waitForFunction(() => document.querySelector('camformer-predictor').shadowRoot.querySelectorAll('.cf-stored li').length === 2);
      check((await inApp(page, '.cf-stored li.cf-current button:text("Forget")').count()) === 1, 'after a reload the stored model is restored and in use');
      check(Math.abs((await predict())[0] - before[0]) < 1e-6, 'the restored model predicts');

      // Forget it: back to the built-in model.
      await inApp(page, '.cf-stored li.cf-current button:text("Forget")').click();
      await page.waitForFunction(() => document.querySelector('camformer-predictor').shadowRoot.querySelectorAll('.cf-stored li').length === 1);
      app.assertClean();
    },
  },
];
