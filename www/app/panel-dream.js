// The DREAM score panel (wasm `dreamScore`): the official Random Promoter DREAM Challenge 2022
// score of a predictions file, on the public leaderboard (its measured values are built in) and
// on the private one (from the user's copy of the measured test values and pair lists), with
// per-subset n / r / r² / ρ, beside the published teams' numbers. The files (tens of MB) are
// read by the worker (File.text()), never on the page's main thread.

import { CancelledError } from './client.js';
import { choice, downloadTsv, fmt, fmtMs, h, headerRow, messageBox, replaceChildren, showMessage, tsv } from './dom.js';
import { JOB } from './protocol.js';

/** The official subsets and weights (PearsonScore = Σ w r² / Σ w, SpearmanScore = Σ w ρ / Σ w). */
const WEIGHTS = { all: 1, high: 0.3, low: 0.3, yeast: 0.3, random: 0.3, challenging: 0.5, SNVs: 1.25, motif_perturbation: 0.3, motif_tiling: 0.4 };
const PAIRS = ['SNVs', 'motif_perturbation', 'motif_tiling'];

/**
 * Creates the DREAM score panel.
 * @param {import('./app.js').App} app
 * @returns {{element: HTMLElement}}
 */
export function createDreamPanel(app) {
  const fileInput = (cls, label, accept = '.tsv,.txt,.csv,text/*') => h('input', { type: 'file', class: cls, accept, attrs: { 'aria-label': label } });
  const predictions = fileInput('cf-dream-predictions', 'Predictions file');
  const measured = fileInput('cf-dream-measured', 'Measured values file');
  const pairFiles = Object.fromEntries(PAIRS.map((p) => [p, fileInput(`cf-dream-pairs-${p}`, `${p} pair list`)]));
  const rule = choice('cf-dream-rule', 'Which pairs are private', [
    ['any-public-index', 'a pair is private when neither sequence is public'],
    ['public-pair', 'a pair is private unless the pair (or its alt) is public'],
  ]);
  const run = h('button', { type: 'button', class: 'cf-primary cf-dream-run', text: 'Score' });
  const cancel = h('button', { type: 'button', class: 'cf-dream-cancel', text: 'Cancel', disabled: true });
  const busy = h('progress', { class: 'cf-dream-busy', hidden: true });
  const status = h('span', { class: 'cf-dream-status', attrs: { role: 'status', 'aria-live': 'polite' } });
  const error = messageBox('error');
  const summary = h('p', { class: 'cf-summary cf-dream-summary', hidden: true });
  const tables = h('div', { class: 'cf-dream-tables' });
  const published = h('div', { class: 'cf-dream-published' });
  const tsvButton = h('button', { type: 'button', class: 'cf-dream-tsv', text: 'Download TSV', disabled: true });
  // Scoring the predictions just made, when the input named them by test index.
  const scoreMade = h('button', { type: 'button', class: 'cf-dream-score-made', text: 'Score the predictions just made', disabled: true });
  const madeNote = h('span', { class: 'cf-hint cf-dream-made-note', text: 'Predict a DREAM test TSV with its idx column (such as dream_test_dev.tsv) to score the predictions made here.' });
  let made = null; // {indices, predictions} of the last results, when they name test indices

  const element = h(
    'div',
    { class: 'cf-dream-panel' },
    h('h2', { text: 'DREAM score' }),
    h('p', {
      class: 'cf-hint',
      text: 'The official score of the Random Promoter DREAM Challenge 2022: PearsonScore = Σ w·r² / 4.65 and SpearmanScore = Σ w·ρ / 4.65 over nine subsets (paired subsets correlate alt − ref differences). Predictions: either one number per line for all 71,103 test sequences in test order, or idx<TAB>prediction lines (or a TSV with idx and prediction columns) naming each prediction’s test index; a shorter list without indices cannot be matched to the test set. The public leaderboard’s measured values are built in; for the private score give your copy of the measured test values (a TSV with idx, expr and the flag columns high, low, yeast, random, challenging, public, like dream_test_dev.tsv) and the pair lists (alt_pos ref_pos [public]). Files are read here, in a worker; nothing is uploaded. The shipped default model was trained on every row of the DREAM test set, public and private: its scores here say how well it fits rows it trained on, not how well it predicts new sequences (its cross-validated accuracy is in the Model panel’s metrics).',
    }),
    h('div', { class: 'cf-dream-files' },
      h('label', {}, 'predictions ', predictions),
      h('label', {}, 'measured values ', measured),
      PAIRS.map((p) => h('label', {}, `${p} pairs `, pairFiles[p]))),
    h('div', { class: 'cf-row' }, rule, run, cancel, busy, status),
    h('div', { class: 'cf-row' }, scoreMade, madeNote),
    error,
    summary,
    tables,
    published,
    h('div', { class: 'cf-row' }, tsvButton),
  );

  let running = null;
  let last = null;

  run.addEventListener('click', async () => {
    showMessage(error);
    const pred = predictions.files?.[0];
    if (!pred) {
      showMessage(error, 'Choose a predictions file.');
      return;
    }
    const pairs = {};
    for (const p of PAIRS) if (pairFiles[p].files?.[0]) pairs[p] = pairFiles[p].files[0];
    // Without measured values the public score alone (its values are built in).
    const params = { predictions: pred, measured: measured.files?.[0] ?? 'idx\texpr\n', pairs, pairRule: rule.value };
    const job = { id: null };
    running = job;
    run.disabled = true;
    cancel.disabled = false;
    busy.hidden = false;
    status.dataset.state = 'running';
    status.textContent = 'starting…';
    try {
      const reply = await app.job(JOB.dream, params, {
        label: 'DREAM score',
        cancellable: true,
        onId: (id) => (job.id = id),
        onLoading: (m) => (status.textContent = `${m.stage}…`),
      });
      last = reply.result;
      status.textContent = `Scored in ${fmtMs(reply.elapsedMs)}.`;
      status.dataset.state = 'done';
      render(reply.result, Boolean(measured.files?.[0]));
      app.emit('dream', { result: reply.result, elapsedMs: reply.elapsedMs });
    } catch (err) {
      status.dataset.state = err instanceof CancelledError ? 'cancelled' : 'error';
      status.textContent = err instanceof CancelledError ? 'Cancelled.' : '';
      if (!(err instanceof CancelledError)) showMessage(error, explain(app.reportError(err, 'dream')));
    } finally {
      running = null;
      run.disabled = false;
      cancel.disabled = true;
      busy.hidden = true;
    }
  });
  cancel.addEventListener('click', () => {
    if (running?.id != null) app.cancel(running.id);
  });

  app.addEventListener('results', (e) => {
    made = e.detail ? testIndexed(e.detail.records, app.state.parsed?.layout) : null;
    scoreMade.disabled = !made;
    if (made) madeNote.textContent = `${made.indices.length.toLocaleString('en')} predictions named by DREAM test index (the idx column): score them on the public-leaderboard rows among them.`;
    else if (e.detail?.records?.length) madeNote.textContent = 'The predictions just made are not named by DREAM test index: predict a DREAM test TSV with its idx column (such as dream_test_dev.tsv) to score them here.';
  });

  scoreMade.addEventListener('click', async () => {
    if (!made) return;
    showMessage(error);
    scoreMade.disabled = true;
    try {
      const reply = await app.job(JOB.dreamPredicted, made, { label: 'DREAM score of the predictions just made' });
      const r = reply.result;
      last = { public: r, private: { subsets: [] } };
      summary.hidden = false;
      summary.textContent = `${r.predicted.toLocaleString('en')} predictions just made, ${r.publicRows.toLocaleString('en')} of them public-leaderboard rows (the built-in measured values cover those only). ${r.complete ? 'Every public row is present: the official public score.' : 'Not every public row was predicted: correlations over the rows present, not the official score.'}`;
      replaceChildren(tables, board(r.complete ? 'Public leaderboard' : 'Public-leaderboard rows just predicted', 'public', r));
      replaceChildren(published);
      tsvButton.disabled = false;
      app.emit('dream', { result: last, predicted: true, elapsedMs: reply.elapsedMs });
    } catch (err) {
      if (!(err instanceof CancelledError)) showMessage(error, app.reportError(err, 'dream'));
    } finally {
      scoreMade.disabled = !made;
    }
  });

  const render = (r, hasMeasured) => {
    summary.hidden = false;
    summary.textContent = `${r.predictions.toLocaleString('en')} predictions (${r.alignment}); ${hasMeasured ? `${r.measured.toLocaleString('en')} measured values` : 'no measured values given: the public score only'}.`;
    replaceChildren(tables, board('Public leaderboard', 'public', r.public), board('Private leaderboard', 'private', r.private, hasMeasured));
    const entries = Object.entries(r.published ?? {});
    const mine = [
      ['this file, public leaderboard', r.public],
      ['this file, private leaderboard', r.private],
    ].map(([label, b]) => [label, b.error ? {} : { pearsonScore: b.pearsonScore, spearmanScore: b.spearmanScore, r2: sq(b.subsets?.find((x) => x.name === 'all')?.pearson), rho: b.subsets?.find((x) => x.name === 'all')?.spearman }]);
    const cell = (v) => h('td', { class: 'cf-num', text: v === null || v === undefined ? '–' : fmt(v, 3) });
    replaceChildren(
      published,
      h('h3', { text: 'Beside the published numbers' }),
      h('div', { class: 'cf-table-wrap' },
        h('table', { class: 'cf-table cf-dream-compare' },
          h('thead', {}, headerRow(['', 'PearsonScore', 'SpearmanScore', 'r² (all)', 'ρ (all)'])),
          h('tbody', {},
            [...mine, ...entries].map(([label, v], i) =>
              h('tr', { class: i < 2 ? 'cf-mine' : '', data: { label } }, h('td', { text: label }), cell(v.pearsonScore), cell(v.spearmanScore), cell(v.r2), cell(v.rho)))))),
      h('p', { class: 'cf-hint', text: 'r² is Pearson r squared. The Camformer paper’s numbers are over all 71,103 test sequences, not a leaderboard.' }),
    );
    tsvButton.disabled = false;
  };

  tsvButton.addEventListener('click', () => {
    if (!last) return;
    const rows = [['board', 'subset', 'weight', 'n', 'pearson', 'r2', 'spearman']];
    for (const name of ['public', 'private']) {
      const b = last[name];
      for (const x of b.subsets ?? []) rows.push([name, x.name, WEIGHTS[x.name], x.n, x.pearson.toFixed(6), (x.pearson * x.pearson).toFixed(6), x.spearman.toFixed(6)]);
      if (b.pearsonScore != null) rows.push([name, 'PearsonScore', '', '', '', b.pearsonScore.toFixed(6), ''], [name, 'SpearmanScore', '', '', '', '', b.spearmanScore.toFixed(6)]);
    }
    downloadTsv('camformer-dream-score.tsv', tsv(rows));
  });

  return { element };
}

/**
 * The test indices and predictions of results read from a DREAM test TSV: the names come from
 * a column headed `idx` and are all test indices (0-71,102); null otherwise.
 * @param {Array<{name: string, prediction: number}>} records
 * @param {{header: string[]|null, nameColumn: number|null}|undefined} layout
 * @returns {{indices: number[], predictions: number[]}|null}
 */
export function testIndexed(records, layout) {
  const column = layout?.header?.[layout.nameColumn ?? -1];
  if (!records?.length || column?.toLowerCase() !== 'idx') return null;
  const indices = [];
  for (const r of records) {
    if (!/^\d+$/.test(r.name) || Number(r.name) >= 71103) return null;
    indices.push(Number(r.name));
  }
  return { indices, predictions: records.map((r) => r.prediction) };
}

const sq = (x) => (x === null || x === undefined ? null : x * x);

/**
 * The score's error in plain words: a predictions file without test indices needs to say what
 * to give instead.
 */
export function explain(message) {
  const counted = message.match(/^predictions: (\d+) values without test indices/);
  if (!counted) return message;
  const n = Number(counted[1]);
  return (
    `The predictions file has ${n.toLocaleString('en')} ${n === 1 ? 'value' : 'values'} and no test indices, so it cannot be matched to the test sequences. ` +
    'Give either all 71,103 predictions, one per line in the order of the test set (with a measured-values file: one per row of it, in its order), or lines of idx<TAB>prediction, where idx is the test index of the sequence (the idx column of the challenge’s test file). ' +
    'Predictions made on this page can be scored with “Score the predictions just made” when the input was a DREAM test TSV with its idx column.'
  );
}

/** One leaderboard's table: per subset weight, n, r, r², ρ; then the two scores. */
function board(title, key, b, hasMeasured = true) {
  const head = h('h3', { text: title });
  if (b.error) return h('div', { class: `cf-dream-board cf-dream-${key}` }, head, h('p', { class: 'cf-message cf-warning', text: b.error }));
  if (!b.subsets?.length) {
    const why = hasMeasured ? 'No private sequences in the measured values (only public-leaderboard rows, or none with predictions).' : 'Give your measured values for the private score.';
    return h('div', { class: `cf-dream-board cf-dream-${key}` }, head, h('p', { class: 'cf-hint', text: why }));
  }
  const rows = b.subsets.map((x) =>
    h('tr', { data: { subset: x.name } },
      h('td', { text: x.name }),
      h('td', { class: 'cf-num', text: WEIGHTS[x.name] ?? '' }),
      h('td', { class: 'cf-num', text: x.n.toLocaleString('en') }),
      h('td', { class: 'cf-num', text: fmt(x.pearson, 3) }),
      h('td', { class: 'cf-num', text: fmt(x.pearson * x.pearson, 3) }),
      h('td', { class: 'cf-num', text: fmt(x.spearman, 3) })),
  );
  const score = (label, v, cls) =>
    h('tr', { class: `cf-dream-score ${cls}`, data: { value: v === null ? '' : String(v) } },
      h('td', { class: 'cf-dream-score-label', text: label, attrs: { colspan: 5 } }),
      h('td', { class: 'cf-num', text: v === null || v === undefined ? '–' : fmt(v, 3) }));
  const incomplete = b.complete === false ? h('p', { class: 'cf-hint', text: 'Not all nine subsets are present, so the weighted scores are not formed.' }) : null;
  return h(
    'div',
    { class: `cf-dream-board cf-dream-${key}` },
    head,
    h('table', { class: 'cf-table' },
      h('thead', {}, headerRow(['subset', 'weight', 'n', 'r', 'r²', 'ρ'])),
      h('tbody', {}, rows, score('PearsonScore', b.pearsonScore, 'cf-pearson-score'), score('SpearmanScore', b.spearmanScore, 'cf-spearman-score'))),
    incomplete,
  );
}
