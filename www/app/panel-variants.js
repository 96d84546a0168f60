// The variants panel: the predicted effect of variants of a reference sequence (wasm
// `variants`). One variant set per line: `pos ref alt` triples (several on a line are applied
// together: `12 A G, 40 C T`, or `12A>G`), or two sequences (reference and alternative).
// Positions are 1-based on the reference as given. A bad line fails inline, naming the line.

import { CancelledError } from './client.js';
import { REGION_START, backendName, cleanSequence, downloadTsv, fmt, fmtMs, fmtSigned, h, headerRow, messageBox, replaceChildren, showMessage, textBox, tsv } from './dom.js';
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
    '12 A G\n12 A G, 40 C T      (applied together)\n45C>T\nREFERENCE_SEQUENCE ALTERNATIVE_SEQUENCE\n# a comment',
    5,
  );
  const run = h('button', { type: 'button', class: 'cf-primary cf-variants-run', text: 'Predict effects' });
  const example = h('button', { type: 'button', class: 'cf-variants-example', text: 'Sample variants', title: 'Fill in a few variants of the reference' });
  const tsvButton = h('button', { type: 'button', class: 'cf-variants-tsv', text: 'Download TSV', disabled: true });
  const error = messageBox('error');
  const summary = h('p', { class: 'cf-summary cf-variants-summary', hidden: true });
  const table = h('table', { class: 'cf-table cf-variants-table' });
  const wrap = h('div', { class: 'cf-table-wrap', hidden: true }, table);

  const element = h(
    'div',
    { class: 'cf-variants-panel' },
    h('h2', { text: 'Variants' }),
    h('p', {
      class: 'cf-hint',
      text: 'Effects of substitutions on the prediction. One variant set per line: “pos ref alt” triples with 1-based positions on the reference as given (several on one line are applied together: “12 A G, 40 C T”; “12A>G” works too), or two sequences, reference and alternative.',
    }),
    reference,
    text,
    h('div', { class: 'cf-row' }, run, example, tsvButton),
    error,
    summary,
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
    // Positions inside the random region of either an 80-bp region or a 110-bp construct.
    const base = seq.length >= 100 ? REGION_START : 0;
    const other = (b) => ({ A: 'G', C: 'T', G: 'A', T: 'C' })[b] ?? 'A';
    const at = (p) => `${p} ${seq[p - 1]} ${other(seq[p - 1])}`;
    const compact = (p) => `${p}${seq[p - 1]}>${other(seq[p - 1])}`;
    text.value = [at(base + 12), `${at(base + 12)}, ${at(base + 40)}`, compact(base + 60)].join('\n');
  });

  run.addEventListener('click', async () => {
    const ref = cleanSequence(reference.value);
    showMessage(error);
    if (!ref) {
      showMessage(error, 'Give a reference sequence (or choose one in the predictions table).');
      return;
    }
    if (!text.value.trim()) {
      showMessage(error, 'Write at least one variant, e.g. “12 A G”.');
      return;
    }
    run.disabled = true;
    try {
      const reply = await app.job(JOB.variants, { reference: ref, text: text.value }, { label: 'Predicting variant effects' });
      last = { reference: ref, effects: reply.result };
      render(reply);
      app.emit('variants', { reference: ref, text: text.value, result: reply.result, elapsedMs: reply.elapsedMs });
    } catch (err) {
      if (err instanceof CancelledError) return;
      const message = app.reportError(err, 'variants');
      showMessage(error, message);
      const line = /\bline (\d+)\b/.exec(message);
      if (line) error.dataset.line = line[1];
      else delete error.dataset.line;
    } finally {
      run.disabled = false;
    }
  });

  const render = (reply) => {
    const effects = reply.result;
    summary.hidden = false;
    summary.textContent = `${effects.length} ${effects.length === 1 ? 'variant' : 'variants'} in ${fmtMs(reply.elapsedMs)} on the ${backendName(reply.backend)}.`;
    const head = headerRow(['line', 'variant', 'reference', 'alternative', 'Δ (alt − ref)']);
    const rows = effects.map((e) =>
      h(
        'tr',
        { data: { line: e.line } },
        h('td', { class: 'cf-num', text: e.line }),
        h('td', { class: 'cf-variant-label', text: e.label }),
        h('td', { class: 'cf-num', text: fmt(e.reference, 4) }),
        h('td', { class: 'cf-num', text: fmt(e.alternative, 4) }),
        h('td', { class: `cf-num cf-delta ${e.delta >= 0 ? 'cf-up' : 'cf-down'}`, text: fmtSigned(e.delta) }),
      ),
    );
    replaceChildren(table, h('thead', {}, head), h('tbody', {}, rows));
    wrap.hidden = false;
    tsvButton.disabled = effects.length === 0;
  };

  tsvButton.addEventListener('click', () => {
    if (last) downloadTsv('camformer-variants.tsv', variantsTsv(last.effects));
  });

  return { element };
}

/**
 * Variant effects as TSV: line, variant, reference, alternative, delta.
 * @param {Array<{line: number, label: string, reference: number, alternative: number, delta: number}>} effects
 * @returns {string}
 */
export function variantsTsv(effects) {
  return tsv([['line', 'variant', 'reference', 'alternative', 'delta'], ...effects.map((e) => [e.line, e.label, e.reference.toFixed(6), e.alternative.toFixed(6), e.delta.toFixed(6)])]);
}
