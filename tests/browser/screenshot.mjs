#!/usr/bin/env node
// The README's screenshot: the app page (CPU) after pasting the first 20 sequences of
// tests/data/dream_test_sample.tsv (with their measured values) and predicting, with the ISM
// panel open on one of them (the heatmap, its logo and the motif track above), 1400 px wide.
//
//   node tests/browser/screenshot.mjs [out.png]      (default docs/screenshot.png)
//
// playwright-core with Debian's /usr/bin/chromium (CHROMIUM=... overrides), as the tests.

import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, inApp, launch, openPage, startServer, waitReady } from './harness.mjs';

const out = path.resolve(process.argv[2] ?? path.join(ROOT, 'docs', 'screenshot.png'));
/** The sample row shown in the ISM panel (RAP1, TBF1 and AFT1 hits at p <= 1e-4). */
const CHOSEN = 12;

const rows = readFileSync(path.join(ROOT, 'tests', 'data', 'dream_test_sample.tsv'), 'utf8').trim().split('\n').slice(1, 21);
// sequence<TAB>measured expression, as pasted.
const input = rows.map((line) => line.split('\t')).map((f) => `${f[1]}\t${f[2]}`).join('\n');

const server = await startServer();
const browser = await launch();
const app = await openPage(browser.context, { origin: server.origin });
const page = app.page;
await page.setViewportSize({ width: 1400, height: 1000 });
await page.goto(`${server.origin}/www/`);
await waitReady(page);
await inApp(page, 'textarea.cf-input').fill(input);
await inApp(page, 'button.cf-predict').click();
await inApp(page, '.cf-results-panel table.cf-table tbody tr').nth(19).waitFor({ timeout: 120_000 });
await inApp(page, `.cf-results-panel table.cf-table tbody tr:nth-child(${CHOSEN + 1}) button.cf-ism-button`).click();
await page.waitForFunction(
  () => document.querySelector('camformer-predictor').shadowRoot.querySelector('.cf-ism-panel .cf-figure')?.dataset.track?.endsWith('|done'),
  null,
  { timeout: 120_000 },
);
await page.waitForFunction(() => document.querySelector('camformer-predictor').shadowRoot.querySelector('dl.cf-robustness:not([hidden])'), null, { timeout: 120_000 });
// Every job done (the attributions and motif panels also pick up the chosen record).
await page.waitForFunction(() => document.querySelector('camformer-predictor').shadowRoot.querySelector('.cf-status-line').textContent === '', null, { timeout: 120_000 });
await inApp(page, 'textarea.cf-input').evaluate((el) => (el.scrollTop = 0));
await page.evaluate(() => window.scrollTo(0, 0));
await page.waitForTimeout(500);
// From the top of the page to the end of the ISM figure.
const bottom = await inApp(page, '.cf-ism-panel .cf-figure').evaluate((el) => el.getBoundingClientRect().bottom + window.scrollY + 8);
mkdirSync(path.dirname(out), { recursive: true });
await page.screenshot({ path: out, fullPage: true, clip: { x: 0, y: 0, width: 1400, height: Math.ceil(bottom) } });
if (app.problems.length) console.error(app.problems.join('\n'));
console.log(`${path.relative(ROOT, out)}: 1400 x ${Math.ceil(bottom)} px (${rows.length} sequences, ISM of record ${CHOSEN + 1})`);
await browser.close();
await server.close();
