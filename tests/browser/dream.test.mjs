// DREAM score: LegNet's published public-leaderboard predictions (reference_predictions_public.tsv)
// in a 71,103-line test-order predictions file, with a measured-values file of every test index
// (the public rows from the challenge's ground.json, the others synthetic) and synthetic pair
// lists: the panel reproduces LegNet's published public PearsonScore 0.829 and SpearmanScore
// 0.860 (within 5e-4), its private numbers equal those computed here independently (and
// dreamScore called directly), the page stays responsive while the worker reads ~10 MB, and a
// bad file fails inline naming the line.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { referencePage } from './data.mjs';
import { ROOT, assertClose, check, eventsOf, inApp, openPage, pearson, recordEvents, waitReady } from './harness.mjs';

const DATA = path.join(ROOT, 'tests', 'data', 'dream_public');
const TEST_SIZE = 71_103;
const WEIGHTS = { all: 1, high: 0.3, low: 0.3, yeast: 0.3, random: 0.3, challenging: 0.5, SNVs: 1.25, motif_perturbation: 0.3, motif_tiling: 0.4 };
const FLAGS = ['high', 'low', 'yeast', 'random', 'challenging'];

/** A small seeded generator (mulberry32) for the synthetic rows. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function ranks(v) {
  const order = v.map((_, i) => i).sort((a, b) => v[a] - v[b]);
  const out = new Array(v.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && v[order[j + 1]] === v[order[i]]) j++;
    for (let k = i; k <= j; k++) out[order[k]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return out;
}

const spearman = (x, y) => pearson(ranks(x), ranks(y));

/** The test files, and the private scores expected from them (computed here, not by the wasm). */
function buildCase() {
  const ground = JSON.parse(readFileSync(path.join(DATA, 'ground.json'), 'utf8'));
  const publicIdx = new Set(Object.keys(ground).map(Number));
  for (const f of ['high', 'low', 'yeast', 'random', 'challenging', 'SNVs', 'motif_perturbation', 'motif_tiling']) {
    for (const k of Object.keys(JSON.parse(readFileSync(path.join(DATA, `${f}_exp_indices.json`), 'utf8')))) for (const i of k.split(',')) publicIdx.add(Number(i));
  }
  const legnet = new Map(
    readFileSync(path.join(DATA, 'reference_predictions_public.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => {
      const f = l.split('\t');
      return [Number(f[0]), Number(f[3])];
    }),
  );
  check(legnet.size === Object.keys(ground).length, `LegNet predicts every public row (${legnet.size})`);
  const rand = rng(2022);
  const measured = new Float64Array(TEST_SIZE);
  const predicted = new Float64Array(TEST_SIZE);
  const flags = FLAGS.map(() => new Uint8Array(TEST_SIZE));
  const lines = ['idx\tseq\texpr\tgroup\tpublic\thigh\tlow\tyeast\trandom\tchallenging'];
  for (let i = 0; i < TEST_SIZE; i++) {
    const isPublic = publicIdx.has(i);
    measured[i] = isPublic ? ground[i] ?? 0 : rand() * 4 - 2;
    predicted[i] = Number((isPublic ? legnet.get(i) ?? 0 : 11 + 2 * measured[i] + (rand() - 0.5) * 1.5).toPrecision(8));
    for (let f = 0; f < FLAGS.length; f++) flags[f][i] = !isPublic && rand() < [0.02, 0.02, 0.05, 0.1, 0.03][f] ? 1 : 0;
    let seq = '';
    for (let k = 0; k < 110; k++) seq += 'ACGT'[(rand() * 4) | 0];
    lines.push([i, seq, measured[i], i, isPublic ? 1 : 0, ...flags.map((f) => f[i])].join('\t'));
  }
  const privateIdx = [];
  for (let i = 0; i < TEST_SIZE; i++) if (!publicIdx.has(i)) privateIdx.push(i);
  // Pair lists among private rows; a few pairs marked public (dropped) and one touching a public row (dropped).
  const publicOne = [...publicIdx][0];
  const pairs = {};
  const pairRows = {};
  ['SNVs', 'motif_perturbation', 'motif_tiling'].forEach((name, s) => {
    const rows = ['alt_pos\tref_pos\tpublic'];
    const kept = [];
    for (let k = 0; k < [400, 120, 90][s]; k++) {
      const a = privateIdx[(k * 7 + s * 1000) % privateIdx.length];
      const r = privateIdx[(k * 7 + s * 1000 + 3) % privateIdx.length];
      const pub = k % 50 === 7 ? 1 : 0;
      rows.push(`${a}\t${r}\t${pub}`);
      if (!pub) kept.push([a, r]);
    }
    rows.push(`${privateIdx[5]}\t${publicOne}\t0`);
    pairs[name] = `${rows.join('\n')}\n`;
    pairRows[name] = kept;
  });
  // Expected private scores.
  const subsets = [];
  const single = (name, members) => {
    const t = members.map((i) => measured[i]);
    const p = members.map((i) => predicted[i]);
    subsets.push({ name, n: members.length, pearson: pearson(t, p), spearman: spearman(t, p) });
  };
  single('all', privateIdx);
  FLAGS.forEach((name, f) => single(name, privateIdx.filter((i) => flags[f][i])));
  for (const name of ['SNVs', 'motif_perturbation', 'motif_tiling']) {
    const t = pairRows[name].map(([a, r]) => measured[a] - measured[r]);
    const p = pairRows[name].map(([a, r]) => predicted[a] - predicted[r]);
    subsets.push({ name, n: t.length, pearson: pearson(t, p), spearman: spearman(t, p) });
  }
  const wsum = Object.values(WEIGHTS).reduce((a, b) => a + b, 0);
  const pearsonScore = subsets.reduce((a, x) => a + WEIGHTS[x.name] * x.pearson ** 2, 0) / wsum;
  const spearmanScore = subsets.reduce((a, x) => a + WEIGHTS[x.name] * x.spearman, 0) / wsum;
  return {
    predictions: `${Array.from(predicted, String).join('\n')}\n`,
    measured: `${lines.join('\n')}\n`,
    pairs,
    expected: { subsets, pearsonScore, spearmanScore },
  };
}

export const tests = [
  {
    name: 'dream: LegNet public score 0.829 / 0.860 reproduced; private subsets equal an independent computation; large files read in the worker',
    async run({ context, origin, log }) {
      const c = buildCase();
      const dir = mkdtempSync(path.join(os.tmpdir(), 'camformer-dream-'));
      try {
        const files = {
          predictions: path.join(dir, 'predictions.txt'),
          measured: path.join(dir, 'dream_test_measured.tsv'),
          SNVs: path.join(dir, 'pairs_SNVs.tsv'),
          motif_perturbation: path.join(dir, 'pairs_motif_perturbation.tsv'),
          motif_tiling: path.join(dir, 'pairs_motif_tiling.tsv'),
        };
        writeFileSync(files.predictions, c.predictions);
        writeFileSync(files.measured, c.measured);
        for (const k of ['SNVs', 'motif_perturbation', 'motif_tiling']) writeFileSync(files[k], c.pairs[k]);
        log(`files: predictions ${(c.predictions.length / 1e6).toFixed(1)} MB (${TEST_SIZE} lines, test order), measured ${(c.measured.length / 1e6).toFixed(1)} MB`);

        const ref = await referencePage(context, origin);
        const app = await openPage(context, { origin });
        await recordEvents(app.page);
        const page = app.page;
        await page.goto(`${origin}/www/?backend=cpu&panels=dream`);
        await waitReady(page);

        // Predictions only: the public score (LegNet's published 0.829 / 0.860).
        await inApp(page, 'input.cf-dream-predictions').setInputFiles(files.predictions);
        await inApp(page, 'button.cf-dream-run').click();
        await page.waitForFunction(() => window.__camformerEvents.some((e) => e.type === 'dream'), null, { timeout: 120_000 });
        let r = (await eventsOf(page, 'dream'))[0].result;
        check(Math.abs(r.public.pearsonScore - 0.829) <= 5e-4, `public PearsonScore ${r.public.pearsonScore} vs LegNet's published 0.829`);
        check(Math.abs(r.public.spearmanScore - 0.86) <= 5e-4, `public SpearmanScore ${r.public.spearmanScore} vs LegNet's published 0.860`);
        check(r.alignment === 'line k = test index k', `alignment: ${r.alignment}`);
        check((await inApp(page, '.cf-dream-public tr.cf-pearson-score td.cf-num').textContent()) === '0.829', 'the public table shows 0.829');
        check((await inApp(page, '.cf-dream-public tr.cf-spearman-score td.cf-num').textContent()) === '0.860', 'the public table shows 0.860');
        check((await inApp(page, '.cf-dream-private').textContent()).includes('Give your measured values'), 'no private score without measured values');
        const legnetRow = await inApp(page, 'table.cf-dream-compare tr[data-label^="LegNet"]').textContent();
        check(legnetRow.includes('0.829') && legnetRow.includes('0.860'), `the published LegNet row: ${legnetRow}`);
        log(`LegNet public: PearsonScore ${r.public.pearsonScore.toFixed(4)}, SpearmanScore ${r.public.spearmanScore.toFixed(4)}`);

        // With the measured values and pair lists: the private board. Watch the main thread meanwhile.
        await inApp(page, 'input.cf-dream-measured').setInputFiles(files.measured);
        for (const k of ['SNVs', 'motif_perturbation', 'motif_tiling']) await inApp(page, `input.cf-dream-pairs-${k}`).setInputFiles(files[k]);
        await page.evaluate(() => {
          window.__gaps = { last: performance.now(), max: 0 };
          window.__gapTimer = setInterval(() => {
            const now = performance.now();
            window.__gaps.max = Math.max(window.__gaps.max, now - window.__gaps.last);
            window.__gaps.last = now;
          }, 10);
        });
        const t0 = Date.now();
        await inApp(page, 'button.cf-dream-run').click();
        await inApp(page, '.cf-dream-status').filter({ hasText: /reading|scoring/ }).waitFor({ timeout: 30_000 });
        await page.waitForFunction(() => window.__camformerEvents.filter((e) => e.type === 'dream').length >= 2, null, { timeout: 300_000 });
        const stall = await page.evaluate(() => {
          clearInterval(window.__gapTimer);
          return window.__gaps.max;
        });
        const events = await eventsOf(page, 'dream');
        r = events[1].result;
        log(`scored ${(c.measured.length / 1e6).toFixed(1)} MB of measured values in ${events[1].elapsedMs.toFixed(0)} ms in the worker (${Date.now() - t0} ms end to end); longest main-thread stall ${stall.toFixed(0)} ms`);
        check(Math.abs(r.public.pearsonScore - 0.829) <= 5e-4, 'the public score does not change');
        check(r.measured === TEST_SIZE && r.predictions === TEST_SIZE, `${r.measured} measured, ${r.predictions} predictions`);
        check(r.private.complete === true, 'all nine private subsets');
        const got = r.private.subsets;
        check(got.map((x) => x.name).join() === c.expected.subsets.map((x) => x.name).join(), `subsets: ${got.map((x) => x.name).join()}`);
        got.forEach((x, i) => check(x.n === c.expected.subsets[i].n, `${x.name}: n ${x.n} vs ${c.expected.subsets[i].n}`));
        assertClose(got.flatMap((x) => [x.pearson, x.spearman]), c.expected.subsets.flatMap((x) => [x.pearson, x.spearman]), 1e-6, 'private subset correlations vs the independent computation');
        assertClose([r.private.pearsonScore, r.private.spearmanScore], [c.expected.pearsonScore, c.expected.spearmanScore], 1e-6, 'private scores');
        const rows = await inApp(page, '.cf-dream-private tbody tr[data-subset]').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
        check(rows.length === 9 && rows[6][0] === 'SNVs' && rows[6][2] === String(c.expected.subsets[6].n), `private table: ${JSON.stringify(rows[6])}`);
        log(`private (synthetic): PearsonScore ${r.private.pearsonScore.toFixed(4)}, SpearmanScore ${r.private.spearmanScore.toFixed(4)}; SNV pairs ${c.expected.subsets[6].n}`);

        // The same as dreamScore called directly.
        const direct = await ref.call('dreamScore', c.predictions, c.measured, c.pairs, null);
        assertClose(
          [direct.public.pearsonScore, direct.public.spearmanScore, direct.private.pearsonScore, direct.private.spearmanScore],
          [r.public.pearsonScore, r.public.spearmanScore, r.private.pearsonScore, r.private.spearmanScore],
          1e-12,
          'panel vs dreamScore',
        );

        // A bad predictions file fails inline, naming the line.
        await inApp(page, 'input.cf-dream-predictions').setInputFiles({ name: 'bad.txt', mimeType: 'text/plain', buffer: Buffer.from('0.5\n0.7\nabc\n') });
        await inApp(page, 'button.cf-dream-run').click();
        await inApp(page, '.cf-dream-panel .cf-error').filter({ hasText: 'line 3' }).waitFor({ state: 'visible', timeout: 60_000 });
        ref.assertClean();
        app.assertClean();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  },
  {
    name: 'dream: the predictions just made (a DREAM TSV with idx) are scored on their public rows, equal to an independent computation',
    async run({ context, origin, log }) {
      const app = await openPage(context, { origin });
      await recordEvents(app.page);
      const page = app.page;
      await page.goto(`${origin}/www/?backend=cpu&panels=input,results,dream`);
      await waitReady(page);
      const button = inApp(page, 'button.cf-dream-score-made');
      check(await button.isDisabled(), 'nothing to score before a prediction');

      // Predictions of a file without test indices: the button stays off and says why.
      await inApp(page, 'textarea.cf-input').fill(readFileSync(path.join(ROOT, 'tests', 'data', 'dream_test_sample.tsv'), 'utf8').split('\n').slice(1, 4).map((l) => l.split('\t')[1]).join('\n'));
      await inApp(page, 'button.cf-predict').click();
      await inApp(page, '.cf-dream-made-note').filter({ hasText: 'not named by DREAM test index' }).waitFor({ timeout: 120_000 });
      check(await button.isDisabled(), 'plain sequences cannot be scored');

      // The public-row sample, as the challenge's TSV (idx column): scored on those rows.
      const text = readFileSync(path.join(ROOT, 'tests', 'data', 'dream_public_sample.tsv'), 'utf8');
      await inApp(page, 'textarea.cf-input').fill(text);
      await inApp(page, 'button.cf-predict').click();
      await inApp(page, '.cf-dream-made-note').filter({ hasText: '377 predictions named by DREAM test index' }).waitFor({ timeout: 120_000 });
      await button.click();
      await page.waitForFunction(() => window.__camformerEvents.some((e) => e.type === 'dream'), null, { timeout: 60_000 });
      const r = (await eventsOf(page, 'dream'))[0].result.public;
      check(r.predicted === 377 && r.publicRows === 377 && r.complete === false && r.pearsonScore === null, `377 public rows, not the whole board: ${JSON.stringify({ ...r, subsets: undefined })}`);

      // Independently: the results' predictions against ground.json (all) and the SNV pairs.
      const records = await page.evaluate(() => document.querySelector('camformer-predictor').results.records.map((x) => [Number(x.name), x.prediction]));
      const pred = new Map(records);
      const ground = JSON.parse(readFileSync(path.join(DATA, 'ground.json'), 'utf8'));
      const idx = [...pred.keys()].filter((i) => String(i) in ground);
      const all = r.subsets.find((x) => x.name === 'all');
      check(all.n === idx.length, `all: n ${all.n} vs ${idx.length}`);
      assertClose([all.pearson, all.spearman], [pearson(idx.map((i) => ground[i]), idx.map((i) => pred.get(i))), spearman(idx.map((i) => ground[i]), idx.map((i) => pred.get(i)))], 1e-9, 'all: r and rho');
      const snv = JSON.parse(readFileSync(path.join(DATA, 'SNVs_exp_indices.json'), 'utf8'));
      const pairs = Object.entries(snv).map(([k, v]) => [k.split(',').map(Number), v]).filter(([[a, b]]) => pred.has(a) && pred.has(b));
      const snvScore = r.subsets.find((x) => x.name === 'SNVs');
      check(snvScore && snvScore.n === pairs.length && pairs.length >= 40, `SNV pairs: ${snvScore?.n} vs ${pairs.length}`);
      assertClose([snvScore.pearson], [pearson(pairs.map(([, [ta, tr]]) => ta - tr), pairs.map(([[a, b]]) => pred.get(a) - pred.get(b)))], 1e-9, 'SNVs: r of differences');
      check((await inApp(page, '.cf-dream-summary').textContent()).includes('not the official score'), 'the summary says it is not the official score');
      log(`predictions just made, 377 public rows: r ${all.pearson.toFixed(3)}, rho ${all.spearman.toFixed(3)}; SNV pairs ${snvScore.n}: r ${snvScore.pearson.toFixed(3)}`);
      app.assertClean();
    },
  },
];
