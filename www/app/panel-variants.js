// The variants panel: the predicted effect of variants of a reference sequence (wasm
// `variants`). One variant set per line: `pos ref alt` triples (several on a line are applied
// together: `89 A G, r40 C T`, or `89A>G`), or two sequences (reference and alternative).
// Positions follow the app's one convention: construct positions 1-110, or `r1`-`r80` in the
// random region. Every bad line is listed, naming it; the others are evaluated. Edits of a
// constant flank are flagged.

import { CancelledError } from './client.js';
import { REGION_START, backendName, cleanSequence, downloadTsv, fmt, fmtMs, fmtSigned, h, headerRow, messageBox, replaceChildren, showMessage, textBox, tsv } from './dom.js';
import { describePosition } from './positions.js';
import { JOB } from './protocol.js';

/**
 * Creates the variants panel.
 * @param {import('./app.js').App} app
 * @returns {{element: HTMLElement}}
 */
export function createVariantsPanel(app) {
  const reference = textBox(
    'cf-variants-reference',
    'Reference sequence for the variants',
    'Reference sequence (80-bp random region or 110-bp construct); choose one in the predictions table',
  );
  const text = textBox(
    'cf-variants-text',
    'Variants, one set per line',
    '29 A G            (construct position 29 = region 12)\n29 A G, r40 C T    (applied together; r40 = random-region 40)\n77C>T\nREFERENCE_SEQUENCE ALTERNATIVE_SEQUENCE\n# a comment',
    5,
  );
  const run = h('button', { type: 'button', class: 'cf-primary cf-variants-run', text: 'Predict effects' });
  const example = h('button', { type: 'button', class: 'cf-variants-example', text: 'Sample variants', title: 'Fill in a few variants of the reference' });
  const tsvButton = h('button', { type: 'button', class: 'cf-variants-tsv', text: 'Download TSV', disabled: true });
  const error = messageBox('error');
  const summary = h('p', { class: 'cf-summary cf-variants-summary', hidden: true });
  const rejected = h('div', { class: 'cf-rejected cf-variants-rejected', hidden: true });
  const table = h('table', { class: 'cf-table cf-variants-table' });
  const wrap = h('div', { class: 'cf-table-wrap', hidden: true }, table);

  const element = h(
    'div',
    { class: 'cf-variants-panel' },
    h('h2', { text: 'Variants' }),
    h('p', {
      class: 'cf-hint',
      text: 'Effects of substitutions on the prediction. One variant set per line: “pos ref alt” triples (several on one line are applied together: “29 A G, r40 C T”; “29A>G” works too), or two sequences, reference and alternative. Positions are 1-110 in the construct the model sees (the random region is 18-97), or r1-r80 in the random region, as in every panel. Edits of the constant flanks are evaluated but flagged: the model never saw the flanks change.',
    }),
    reference,
    text,
    h('div', { class: 'cf-row' }, run, example, tsvButton),
    error,
    summary,
    rejected,
    wrap,
  );

  /** The last results and the reference they were computed for. */
  let last = null;

  app.addEventListener('select', (e) => {
    if (e.detail.target && e.detail.target !== 'variants') return;
    reference.value = e.detail.sequence;
  });
  // Until something is chosen, the first prediction is the reference.
  app.addEventListener('results', (e) => {
    if (!reference.value.trim() && e.detail?.records.length) reference.value = e.detail.records[0].construct;
  });

  example.addEventListener('click', () => {
    const seq = cleanSequence(reference.value);
    if (seq.length < 60) {
      showMessage(error, 'Give a reference sequence first (or choose one in the predictions table).');
      return;
    }
    showMessage(error);
    // Random-region bases of either an 80-bp region or a 110-bp construct, written once as a
    // construct position and once as a region position (`r40`).
    const region = seq.length >= 100 ? seq.slice(REGION_START) : seq;
    const other = (b) => ({ A: 'G', C: 'T', G: 'A', T: 'C' })[b] ?? 'A';
    const at = (r) => `${REGION_START + r} ${region[r - 1]} ${other(region[r - 1])}`;
    const atRegion = (r) => `r${r} ${region[r - 1]} ${other(region[r - 1])}`;
    const compact = (r) => `${REGION_START + r}${region[r - 1]}>${other(region[r - 1])}`;
    text.value = [at(12), `${at(12)}, ${atRegion(40)}`, compact(60)].join('\n');
  });

  run.addEventListener('click', async () => {
    const ref = cleanSequence(reference.value);
    showMessage(error);
    if (!ref) {
      showMessage(error, 'Give a reference sequence (or choose one in the predictions table).');
      return;
    }
    if (!text.value.trim()) {
      showMessage(error, 'Write at least one variant, e.g. “29 A G” (construct position) or “r12 A G” (random region).');
      return;
    }
    run.disabled = true;
    try {
      const reply = await app.job(JOB.variants, { reference: ref, text: text.value }, { label: 'Predicting variant effects' });
      last = { reference: ref, ...reply.result };
      render(reply);
      app.emit('variants', { reference: ref, text: text.value, result: reply.result, elapsedMs: reply.elapsedMs });
    } catch (err) {
      if (err instanceof CancelledError) return;
      const message = app.reportError(err, 'variants');
      // The results on screen were for another input: hide them rather than leave them as if
      // they were this one's.
      summary.hidden = true;
      wrap.hidden = true;
      renderRejected([]);
      showMessage(error, message);
      const line = /\bline (\d+)\b/.exec(message);
      if (line) error.dataset.line = line[1];
      else delete error.dataset.line;
    } finally {
      run.disabled = false;
    }
  });

  const render = (reply) => {
    const { effects, rejected: bad } = reply.result;
    summary.hidden = false;
    const flank = effects.filter((e) => e.flankEdit).length;
    summary.textContent = [
      `${effects.length} ${effects.length === 1 ? 'variant' : 'variants'} in ${fmtMs(reply.elapsedMs)} on the ${backendName(reply.backend)}`,
      bad.length ? `${bad.length} ${bad.length === 1 ? 'line' : 'lines'} rejected (listed above)` : null,
      flank ? `${flank} ${flank === 1 ? 'variant edits' : 'variants edit'} a constant flank (flagged)` : null,
    ]
      .filter(Boolean)
      .join('; ') + '.';
    renderRejected(bad, effects.length);
    const head = headerRow(['line', 'variant', 'reference', 'alternative', 'Δ (alt − ref)', 'note']);
    const rows = effects.map((e) =>
      h(
        'tr',
        { data: { line: e.line }, class: e.flankEdit ? 'cf-flank-edit' : undefined },
        h('td', { class: 'cf-num', text: e.line }),
        h('td', { class: 'cf-variant-label', text: e.label, title: regionTitle(e.label) }),
        h('td', { class: 'cf-num', text: fmt(e.reference, 4) }),
        h('td', { class: 'cf-num', text: fmt(e.alternative, 4) }),
        h('td', { class: `cf-num cf-delta ${e.delta >= 0 ? 'cf-up' : 'cf-down'}`, text: fmtSigned(e.delta) }),
        h('td', {
          class: 'cf-variant-note',
          text: e.flankEdit ? 'flank edit' : '',
          title: e.flankEdit ? 'Changes a base of the constant flanks (construct 1-17 or 98-110), which never varied in the training data: treat the prediction with care.' : undefined,
        }),
      ),
    );
    replaceChildren(table, h('thead', {}, head), h('tbody', {}, rows));
    wrap.hidden = false;
    tsvButton.disabled = effects.length === 0 && bad.length === 0;
  };

  /** Lists every rejected line (the first is also marked on the error box for tests/tools). */
  const renderRejected = (bad, evaluated = 0) => {
    if (!bad.length) {
      rejected.hidden = true;
      replaceChildren(rejected);
      delete error.dataset.line;
      return;
    }
    const others = evaluated === 0 ? 'nothing was evaluated' : `the other ${evaluated === 1 ? 'variant was' : `${evaluated} variants were`} evaluated`;
    showMessage(error, `${bad.length === 1 ? `Line ${bad[0].line} could not be read` : `${bad.length} lines could not be read`} (listed below); ${others}.`);
    error.dataset.line = String(bad[0].line);
    replaceChildren(
      rejected,
      h('h3', { text: `${bad.length} ${bad.length === 1 ? 'line' : 'lines'} rejected (not evaluated)` }),
      h('ul', {}, bad.map((b) => h('li', { class: 'cf-rejected-item', text: b.message, data: { line: b.line } }))),
    );
    rejected.hidden = false;
  };

  tsvButton.addEventListener('click', () => {
    if (last) downloadTsv('camformer-variants.tsv', variantsTsv(last.effects, last.rejected));
  });

  return { element };
}

/**
 * Variant effects as TSV, in line order: line, variant, reference, alternative, delta, note
 * (`flank edit`, or `error: ...` for a rejected line, as `camformer variants` writes it).
 * @param {Array<{line: number, label: string, reference: number, alternative: number, delta: number, flankEdit: boolean}>} effects
 * @param {Array<{line: number, text: string, message: string}>} [rejected]
 * @returns {string}
 */
export function variantsTsv(effects, rejected = []) {
  const rows = [
    ...effects.map((e) => [e.line, e.label, e.reference.toFixed(6), e.alternative.toFixed(6), e.delta.toFixed(6), e.flankEdit ? 'flank edit' : '']),
    ...rejected.map((b) => [b.line, b.text, '', '', '', `error: ${b.message}`]),
  ].sort((a, b) => a[0] - b[0]);
  return tsv([['line', 'variant', 'reference', 'alternative', 'delta', 'note'], ...rows]);
}

/**
 * Where the positions of a label lie: `89A>G,20C>T` -> "89 (region 72); 20 (region 3)".
 * @param {string} label
 * @returns {string|undefined}
 */
export function regionTitle(label) {
  if (label === 'pair') return undefined;
  return `construct positions: ${label.split(',').map((edit) => describePosition(Number.parseInt(edit, 10))).join('; ')}`;
}
