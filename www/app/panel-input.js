// The input panel: paste, open or drop sequences; Predict; the rejected records with the
// CLI's messages (record, line, 1-based position).

import { CancelledError } from './client.js';
import { h, messageBox, replaceChildren, showMessage, textBox } from './dom.js';

/** Texts larger than this stay out of the text box, which gets slow with megabytes. */
const BIG_TEXT = 2_000_000;

/** Eight DREAM 2022 test constructs with measured expression (tests/data/dream_test_sample.tsv). */
export const EXAMPLE = [
  'TGCATTTTTTTCACATCAAAAAGCAATTCAGAAAGAGTCTTTTGATTAACATGCCCTAAGTAAACGTTTTCTTCCAGCTGCAGGCTAGGTCATGTAGGGTTACGGCTGTT\t0.144954',
  'TGCATTTTTTTCACATCACGTAGCCGTTACCCTACTCTCCTTTTATGCGCGGTCTAGTTAGTACAGGTCTCCTCGGACGAGGAGTAACTGAGGTGCCGGTTACGGCTGTT\t1.25458',
  'TGCATTTTTTTCACATCATGATAGCACCATTCTAGAGCTACGCGACCAGAGTCGCCTAGGAAACGGTGGTCATGCACACACACACTCGGAAAGCATTGGTTACGGCTGTT\t-0.112762',
  'TGCATTTTTTTCACATCCCCCATAATCCAACTTTTACAAAGAAAAAAATAACAAATCTGGAATGATAATTGAACCCCACTTTTATGCACCCTTTCTTGGTTACGGCTGTT\t-0.503696',
  'TGCATTTTTTTCACATCCTCACCCCTGCACAGAACGTGCTATCCTGGATGAAATCGTCACTGTGGTTTATGCGTAGCATACGCCAAACTTATATGACGGTTACGGCTGTT\t-0.745191',
  'TGCATTTTTTTCACATCGATAATTCGTCCCAGCTGAATAAACTCAAAATAAGTATTACCAGGATCGAGGCTGTGGCATTTGCCGCCGAGGTCTTGGCGGTTACGGCTGTT\t-1.18664',
  'TGCATTTTTTTCACATCGTAGAGAGAGCAGGACGAGGGTTACCCCATACTCGGAAACAGGCCCTCGGTCTAGTGCGGTTCTTGCTTGTCTTGCCATGGGTTACGGCTGTT\t0.991978',
  'TGCATTTTTTTCACATCTATCTAATATCGCAACGACCTCAACTGACGTTTGTGTGCAAACGCGTCTAAGTTCGTTTAGACTACTTAAGTAAAGTGGAGGTTACGGCTGTT\t-0.369316',
].join('\n');

/**
 * Creates the input panel.
 * @param {import('./app.js').App} app
 * @returns {{element: HTMLElement}}
 */
export function createInputPanel(app) {
  // The text to predict when it is too big for the text box (an opened file).
  let bigText = null;

  const text = textBox(
    'cf-input',
    'Sequences',
    '>name\nACGT… (80-bp random region or 110-bp construct)\n\nor one sequence per line, or a TSV/CSV table: name,sequence,value (header optional)',
    8,
  );
  const fileInput = h('input', { type: 'file', class: 'cf-file', accept: '.fa,.fasta,.fna,.txt,.tsv,.csv,text/*', hidden: true });
  const fileNote = h('div', { class: 'cf-file-note', hidden: true });
  const predict = h('button', { type: 'button', class: 'cf-primary cf-predict', text: 'Predict' });
  const open = h('button', { type: 'button', text: 'Open file…' });
  const example = h('button', { type: 'button', text: 'Example' });
  const clear = h('button', { type: 'button', text: 'Clear' });
  const error = messageBox('error');
  const note = messageBox('note');
  note.classList.add('cf-input-note');
  const rejected = h('div', { class: 'cf-rejected', hidden: true });
  // How a table was read (which columns), so that a wrong guess is visible at once.
  const layoutNote = h('p', { class: 'cf-hint cf-layout-note', hidden: true });

  const element = h(
    'div',
    { class: 'cf-input-panel' },
    h('h2', { text: 'Sequences' }),
    h('p', {
      class: 'cf-hint',
      text: 'Paste or drop a file: FASTA, one sequence per line, or a TSV/CSV table with or without a header (the sequence column is found by its content; the column after it is a measured value, NA when missing). 80-bp random regions get the constant flanks; 110-bp constructs are used as they are.',
    }),
    text,
    fileNote,
    h('div', { class: 'cf-row' }, predict, open, example, clear, fileInput),
    error,
    note,
    layoutNote,
    rejected,
  );

  const setBigText = (content, name) => {
    bigText = content;
    text.value = '';
    text.disabled = true;
    fileNote.hidden = false;
    fileNote.textContent = `${name}: ${(content.length / 1e6).toFixed(1)} MB, ${countLines(content).toLocaleString('en')} lines (too large to show; Clear to paste instead)`;
  };
  const clearBigText = () => {
    bigText = null;
    text.disabled = false;
    fileNote.hidden = true;
  };

  const readFile = async (file) => {
    showMessage(error);
    try {
      const content = await file.text();
      if (content.length > BIG_TEXT) setBigText(content, file.name);
      else {
        clearBigText();
        text.value = content;
      }
    } catch (err) {
      showMessage(error, `${file.name}: ${err.message}`);
    }
  };

  open.addEventListener('click', () => fileInput.click());
  fileInput.addEventListener('change', () => {
    if (fileInput.files?.[0]) readFile(fileInput.files[0]);
    fileInput.value = '';
  });
  example.addEventListener('click', () => {
    clearBigText();
    text.value = EXAMPLE;
  });
  clear.addEventListener('click', () => {
    clearBigText();
    text.value = '';
    showMessage(error);
  });

  // Dropping a file anywhere on the panel reads it.
  element.addEventListener('dragover', (e) => {
    if (e.dataTransfer?.types?.includes('Files')) {
      e.preventDefault();
      element.classList.add('cf-drop');
    }
  });
  element.addEventListener('dragleave', () => element.classList.remove('cf-drop'));
  element.addEventListener('drop', (e) => {
    element.classList.remove('cf-drop');
    const file = e.dataTransfer?.files?.[0];
    if (file) {
      e.preventDefault();
      readFile(file);
    }
  });

  predict.addEventListener('click', async () => {
    const input = bigText ?? text.value;
    showMessage(error);
    showMessage(note);
    if (!input.trim()) {
      showMessage(error, 'Nothing to predict: paste sequences, open a file or click Example.');
      return;
    }
    predict.disabled = true;
    try {
      const results = await app.predictText(input);
      if (!results && app.state.parsed?.records.length === 0) {
        showMessage(error, 'No sequence could be read: every record was rejected (see below). Nothing was predicted.');
      } else if (results?.cancelled) {
        const { done, total } = results.cancelled;
        showMessage(note, `Cancelled after ${done.toLocaleString('en')} of ${total.toLocaleString('en')} sequences; the predictions made are shown with the results.`);
      }
    } catch (err) {
      // The input stays in the box; only the message changes.
      if (!(err instanceof CancelledError)) showMessage(error, app.reportError(err, 'predict'));
    } finally {
      predict.disabled = false;
    }
  });

  app.addEventListener('parsed', (e) => {
    renderRejected(rejected, e.detail.rejected);
    const described = describeLayout(e.detail.layout);
    layoutNote.hidden = !described;
    layoutNote.textContent = described ?? '';
  });

  return { element };
}

function countLines(text) {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Says how a table was read: its format, header and the columns used; null for FASTA and plain
 * lines, which need no explanation.
 * @param {{format: string|null, header: string[]|null, sequenceColumn: number|null, valueColumn: number|null, nameColumn: number|null}|undefined} layout
 * @returns {string|null}
 */
export function describeLayout(layout) {
  if (!layout || (layout.format !== 'tsv' && layout.format !== 'csv')) return null;
  const column = (i) => (i === null || i === undefined ? null : layout.header?.[i] ? `column ${i + 1} "${layout.header[i]}"` : `column ${i + 1}`);
  const parts = [`sequences from ${column(layout.sequenceColumn)}`];
  parts.push(layout.valueColumn === null ? 'no measured values' : `measured values from ${column(layout.valueColumn)}`);
  if (layout.nameColumn !== null) parts.push(`names from ${column(layout.nameColumn)}`);
  const header = layout.header ? 'with a header line' : 'without a header line';
  return `Read as ${layout.format.toUpperCase()} ${header}: ${parts.join(', ')}.`;
}

/** Lists rejected records; long lists are cut, the count is always exact. */
function renderRejected(box, rejected) {
  const LIMIT = 200;
  if (!rejected.length) {
    box.hidden = true;
    replaceChildren(box);
    return;
  }
  const items = rejected.slice(0, LIMIT).map((r) => h('li', { class: 'cf-rejected-item', text: r.message, data: { record: r.number } }));
  replaceChildren(
    box,
    h('h3', { text: `${rejected.length.toLocaleString('en')} ${rejected.length === 1 ? 'record' : 'records'} rejected (not predicted)` }),
    h('ul', {}, items),
    rejected.length > LIMIT ? h('p', { class: 'cf-hint', text: `… and ${rejected.length - LIMIT} more (all are in the TSV download).` }) : null,
  );
  box.hidden = false;
}
