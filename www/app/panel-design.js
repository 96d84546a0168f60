// The design panel: in-silico sequence design (wasm `designStart` / `designStep`, run by the
// worker's `design` job: one step per ISM round, progress after each, cancellable between
// steps). Goal, edit budget, beam width (1 = greedy), frozen positions (typed in the app's one
// convention, construct `18-27,59` or random-region `r1-r10,r42`, or clicked on the sequence
// strip); the trajectory as a table (edited bases highlighted, "ISM" sends a sequence to the
// ISM panel) and a line plot; TSV export.

import { CancelledError } from './client.js';
import { REGION_LENGTH as REGION, REGION_START, choice, cleanSequence, downloadTsv, fmt, fmtMs, fmtSigned, h, headerRow, messageBox, replaceChildren, showMessage, textBox, tsv } from './dom.js';
import { trajectorySvg } from './ism-plots.js';
import { describePosition, formatPositions, parsePositionList } from './positions.js';
import { JOB } from './protocol.js';

const DEFAULTS = { goal: 'maximize', maxEdits: 10, beamWidth: 1 };

/**
 * Creates the design panel.
 * @param {import('./app.js').App} app
 * @returns {{element: HTMLElement}}
 */
export function createDesignPanel(app) {
  const sequence = textBox('cf-design-sequence', 'Starting sequence for the design', 'Starting sequence (80-bp random region or 110-bp construct); choose one in the predictions table');
  const goal = choice('cf-design-goal', 'Design goal', [
    ['maximize', 'maximize expression'],
    ['minimize', 'minimize expression'],
  ]);
  const maxEdits = h('input', { type: 'number', class: 'cf-design-max-edits', min: 1, max: REGION, step: 1, value: String(DEFAULTS.maxEdits), attrs: { 'aria-label': 'Most edits' } });
  const beam = h('input', { type: 'number', class: 'cf-design-beam', min: 1, max: 64, step: 1, value: String(DEFAULTS.beamWidth), attrs: { 'aria-label': 'Beam width' } });
  const frozen = h('input', {
    type: 'text',
    class: 'cf-design-frozen',
    placeholder: 'e.g. 18-27,59 or r1-r10,r42',
    spellcheck: false,
    attrs: { 'aria-label': 'Frozen positions (construct 18-97, or r1-r80 in the random region)' },
  });
  const strip = h('div', { class: 'cf-strip', attrs: { role: 'group', 'aria-label': 'Random region: click a base to freeze or free it' } });
  const start = h('button', { type: 'button', class: 'cf-primary cf-design-start', text: 'Start' });
  const cancel = h('button', { type: 'button', class: 'cf-design-cancel', text: 'Cancel', disabled: true });
  const progress = h('progress', { class: 'cf-design-progress', max: 1, value: 0, hidden: true });
  const status = h('span', { class: 'cf-design-status', attrs: { role: 'status', 'aria-live': 'polite' } });
  const error = messageBox('error');
  const chart = h('div', { class: 'cf-trajectory cf-design-chart' });
  const table = h('table', { class: 'cf-table cf-design-table' });
  const wrap = h('div', { class: 'cf-table-wrap', hidden: true }, table);
  const tsvButton = h('button', { type: 'button', class: 'cf-design-tsv', text: 'Download TSV', disabled: true });

  const element = h(
    'div',
    { class: 'cf-design-panel' },
    h('h2', { text: 'Design' }),
    h('p', {
      class: 'cf-hint',
      text: 'Searches for a few base edits of the random region that raise (or lower) the prediction: each step tries every single edit of the sequences kept (by ISM) and keeps the best; beam width 1 is greedy. Frozen positions never change: type construct positions as ISM and the edits show them (18-97 is the random region) or random-region ones with an r (r1-r80), or click bases on the strip.',
    }),
    sequence,
    h(
      'div',
      { class: 'cf-row' },
      goal,
      h('label', {}, 'at most ', maxEdits, ' edits'),
      h('label', {}, 'beam width ', beam),
      h('label', {}, 'frozen ', frozen),
    ),
    strip,
    h('div', { class: 'cf-row' }, start, cancel, progress, status),
    error,
    chart,
    wrap,
    h('div', { class: 'cf-row' }, tsvButton),
  );

  let running = null; // {id} of the design job in progress
  let result = null; // the last design state shown
  let frozenSet = new Set(); // construct positions (1-based)
  let region = ''; // the random region of the current sequence, for the strip
  let parseTimer = null;
  let parseTicket = 0;

  // ---- frozen positions: text <-> strip ----

  const renderStrip = () => {
    const cells = [];
    for (let r = 1; r <= REGION; r++) {
      const base = region[r - 1] ?? '·';
      const p = r + REGION_START;
      const on = frozenSet.has(p);
      cells.push(
        h('button', {
          type: 'button',
          class: `cf-strip-base${on ? ' cf-frozen' : ''}${r % 10 === 0 ? ' cf-tenth' : ''}`,
          text: base,
          title: `position ${describePosition(p)}${on ? ': frozen' : ''}`,
          data: { pos: p, base },
          attrs: { 'aria-pressed': on ? 'true' : 'false' },
        }),
      );
    }
    replaceChildren(strip, cells);
  };

  /** The frozen field as construct positions; every one must be in the random region. */
  const readFrozen = () => {
    const parsed = parsePositionList(frozen.value);
    if (parsed.error) return { error: `Frozen positions: ${parsed.error}` };
    const outside = parsed.positions.find((p) => p <= REGION_START || p > REGION_START + REGION);
    if (outside !== undefined) return { error: `Frozen positions: ${describePosition(outside)} is in a constant flank, which the design never edits; the random region is construct ${REGION_START + 1}-${REGION_START + REGION} (r1-r${REGION}).` };
    return { positions: parsed.positions };
  };

  frozen.addEventListener('input', () => {
    const r = readFrozen();
    if (r.error) {
      frozen.setAttribute('aria-invalid', 'true');
      return;
    }
    frozen.removeAttribute('aria-invalid');
    showMessage(error);
    frozenSet = new Set(r.positions);
    renderStrip();
  });

  strip.addEventListener('click', (e) => {
    const cell = e.target.closest?.('button.cf-strip-base');
    if (!cell || running) return;
    const r = readFrozen();
    if (!r.error) frozenSet = new Set(r.positions);
    const p = Number(cell.dataset.pos);
    if (frozenSet.has(p)) frozenSet.delete(p);
    else frozenSet.add(p);
    frozen.value = formatPositions(frozenSet);
    frozen.removeAttribute('aria-invalid');
    renderStrip();
  });

  /** Shows the random region of the sequence in the strip (parsed by the worker, as the CLI). */
  const refreshRegion = () => {
    clearTimeout(parseTimer);
    parseTimer = setTimeout(async () => {
      const text = sequence.value.replace(/\s+/g, '');
      const mine = ++parseTicket;
      if (!text || !app.client) {
        region = '';
        renderStrip();
        return;
      }
      try {
        const reply = await app.job(JOB.parse, { text }, { quiet: true });
        if (mine !== parseTicket) return;
        const record = reply.result.records[0];
        region = record ? record.construct.slice(REGION_START, REGION_START + REGION) : '';
      } catch {
        region = '';
      }
      renderStrip();
    }, 200);
  };
  sequence.addEventListener('input', refreshRegion);

  app.addEventListener('select', (e) => {
    if ((e.detail.target && e.detail.target !== 'design') || running) return;
    sequence.value = e.detail.sequence;
    refreshRegion();
  });
  app.addEventListener('results', (e) => {
    if (!sequence.value.trim() && e.detail?.records.length && !running) {
      sequence.value = e.detail.records[0].construct;
      refreshRegion();
    }
  });
  app.addEventListener('model', () => {
    if (sequence.value.trim()) refreshRegion();
  });

  // ---- running ----

  const setRunning = (job) => {
    running = job;
    start.disabled = Boolean(job);
    cancel.disabled = !job;
    for (const input of [sequence, goal, maxEdits, beam, frozen]) input.disabled = Boolean(job);
    strip.classList.toggle('cf-disabled', Boolean(job));
  };

  start.addEventListener('click', async () => {
    showMessage(error);
    const seq = cleanSequence(sequence.value);
    if (!seq) {
      showMessage(error, 'Give a starting sequence (or choose one in the predictions table).');
      return;
    }
    const edits = Number(maxEdits.value);
    const width = Number(beam.value);
    if (!Number.isInteger(edits) || edits < 1 || edits > REGION) {
      showMessage(error, `Most edits: a whole number from 1 to ${REGION}.`);
      return;
    }
    if (!Number.isInteger(width) || width < 1) {
      showMessage(error, 'Beam width: a whole number, at least 1 (1 = greedy).');
      return;
    }
    const fr = readFrozen();
    if (fr.error) {
      showMessage(error, fr.error);
      return;
    }
    // The design API takes random-region positions (1-80).
    const params = { sequence: seq, goal: goal.value, maxEdits: edits, beamWidth: width, frozen: fr.positions.map((p) => p - REGION_START) };
    const job = { id: null, params, t0: performance.now() };
    setRunning(job);
    result = null;
    progress.hidden = false;
    progress.max = edits;
    progress.value = 0;
    status.textContent = `0 of ${edits} steps`;
    try {
      const reply = await app.job(JOB.design, params, {
        label: 'Designing',
        cancellable: true,
        onId: (id) => (job.id = id),
        onProgress: (m) => {
          if (running !== job || !m.design) return;
          show(m.design);
          progress.max = m.total || edits;
          progress.value = m.done;
          status.textContent = `${m.done} of ${m.total} steps · ${fmtMs(m.elapsedMs)}`;
        },
      });
      show(reply.result);
      progress.value = progress.max;
      status.textContent = finishedText(reply.result, params, reply.elapsedMs);
      status.dataset.state = 'done';
      app.emit('design', { ...params, result: reply.result, elapsedMs: reply.elapsedMs, cancelled: false });
    } catch (err) {
      if (err instanceof CancelledError) {
        const steps = result?.steps ?? 0;
        status.textContent = `Cancelled after ${steps} of ${edits} steps${result ? '; the best sequence so far is shown' : ''}.`;
        status.dataset.state = 'cancelled';
        app.emit('design', { ...params, result, elapsedMs: performance.now() - job.t0, cancelled: true });
      } else {
        status.textContent = '';
        status.dataset.state = 'error';
        showMessage(error, app.reportError(err, 'design'));
      }
    } finally {
      setRunning(null);
      progress.hidden = true;
    }
  });

  cancel.addEventListener('click', () => {
    if (running?.id !== null && running?.id !== undefined) app.cancel(running.id);
  });

  // ---- the trajectory ----

  const show = (state) => {
    result = state;
    const steps = state.trajectory;
    const first = steps[0];
    const head = headerRow(['edits', 'edit', 'prediction', 'Δ from start', 'sequence (edited bases marked)', '']);
    const rows = steps.map((st) => {
      const delta = st.prediction - first.prediction;
      return h(
        'tr',
        { data: { edits: st.edits } },
        h('td', { class: 'cf-num', text: st.edits }),
        h('td', { class: 'cf-design-edit', text: st.edit ?? 'start' }),
        h('td', { class: 'cf-num cf-design-prediction', text: fmt(st.prediction, 4), data: { value: String(st.prediction) } }),
        h('td', { class: `cf-num ${delta >= 0 ? 'cf-up' : 'cf-down'}`, text: st.edits ? fmtSigned(delta) : '' }),
        h('td', { class: 'cf-seq-view' }, marked(st.sequence, first.sequence)),
        h('td', {}, h('button', { type: 'button', class: 'cf-ism-button cf-design-ism', text: 'ISM', title: 'Send this sequence to in-silico mutagenesis' })),
      );
    });
    replaceChildren(table, h('thead', {}, head), h('tbody', {}, rows));
    wrap.hidden = false;
    replaceChildren(chart, trajectorySvg(steps.map((st) => ({ label: st.edit ?? 'start', reference: st.prediction }))));
    tsvButton.disabled = false;
  };

  table.addEventListener('click', (e) => {
    if (!e.target.closest?.('.cf-design-ism') || !result) return;
    const row = e.target.closest('tr[data-edits]');
    const st = result.trajectory.find((x) => String(x.edits) === row?.dataset.edits);
    if (st) app.select({ name: st.edits ? `design, ${st.edits} edits` : 'design start', sequence: st.sequence, target: 'ism' });
  });

  tsvButton.addEventListener('click', () => {
    if (result) downloadTsv('camformer-design.tsv', designTsv(result));
  });

  renderStrip();
  return { element };
}

/** The sequence as text with the bases that differ from `start` in <mark>. */
function marked(sequence, start) {
  const out = [];
  let plain = '';
  for (let i = 0; i < sequence.length; i++) {
    if (sequence[i] !== start[i]) {
      if (plain) out.push(plain);
      plain = '';
      out.push(h('mark', { class: 'cf-edited', text: sequence[i], title: `position ${i + 1}: ${start[i]}>${sequence[i]}`, data: { pos: i + 1 } }));
    } else {
      plain += sequence[i];
    }
  }
  if (plain) out.push(plain);
  return out;
}

function finishedText(state, params, elapsedMs) {
  const steps = state.trajectory;
  const first = steps[0].prediction;
  const last = steps.at(-1).prediction;
  const early = state.steps < params.maxEdits && params.beamWidth === 1 ? ' (no single edit improves it further)' : '';
  return `Finished: ${steps.length - 1} edits in ${state.steps} steps${early}, ${fmtMs(elapsedMs)}; prediction ${fmt(first, 4)} → ${fmt(last, 4)}.`;
}

/**
 * The trajectory as TSV: edits, edit, prediction, sequence.
 * @param {{trajectory: Array<{edits: number, edit: string|null, sequence: string, prediction: number}>}} state
 * @returns {string}
 */
export function designTsv(state) {
  return tsv([['edits', 'edit', 'prediction', 'sequence'], ...state.trajectory.map((st) => [st.edits, st.edit ?? '', st.prediction.toFixed(6), st.sequence])]);
}

