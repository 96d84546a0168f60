// The ISM panel: saturation mutagenesis of one sequence as a logo + heatmap; click a cell to
// apply that mutation and re-run (the "mutational trajectory", with undo); live ISM while
// editing the sequence (debounced, stale runs cancelled, latency shown); PNG/SVG/TSV export;
// the mutational robustness of the current sequence (wasm `robustness`, threshold input) with a
// histogram of its ISM deltas and the ±threshold band; a motif track above the logo (wasm
// `scanMotifs` of the random region or the whole construct, p-value threshold, the shipped or
// the user's motifs), whose hits are sent to the Motifs panel for ablation when clicked.

import { CancelledError } from './client.js';
import { REGION_LENGTH, REGION_START, choice, cleanSequence, downloadPng, downloadSvg, downloadTsv, fileSafe, fmt, fmtMs, fmtSigned, h, messageBox, replaceChildren, showMessage, textBox } from './dom.js';
import { deltaHistogramSvg, ismFigure, ismTsv, mutantDeltas, trajectorySvg } from './ism-plots.js';
import { motifSet, motifSetControl } from './motif-set.js';
import { BACKEND, JOB } from './protocol.js';

/** Typing pauses this long before ISM re-runs. */
const DEBOUNCE_MS = 300;
/** ISM results kept for undo without re-running. */
const CACHE = 64;
/** The default robustness threshold (|delta| below it counts as robust). */
export const DEFAULT_THRESHOLD = 0.1;

/**
 * Creates the ISM panel.
 * @param {import('./app.js').App} app
 * @returns {{element: HTMLElement}}
 */
export function createIsmPanel(app) {
  const seqBox = textBox(
    'cf-ism-sequence',
    'Sequence for in-silico mutagenesis',
    'A sequence (80-bp random region or 110-bp construct); choose one in the table, or type: ISM re-runs as you edit',
    3,
  );
  const allPositions = h('input', { type: 'checkbox', class: 'cf-ism-all' });
  const run = h('button', { type: 'button', class: 'cf-primary cf-ism-run', text: 'Run ISM' });
  const latency = h('span', { class: 'cf-latency' });
  const error = messageBox('error');
  error.classList.add('cf-ism-error');
  // What a typed length other than 80 or 110 bp does to the sequence.
  const lengthNote = messageBox('warning');
  lengthNote.classList.add('cf-ism-length');
  const figure = h('div', { class: 'cf-figure', hidden: true });
  const png = h('button', { type: 'button', text: 'PNG', disabled: true });
  const svgButton = h('button', { type: 'button', text: 'SVG', disabled: true });
  const tsvButton = h('button', { type: 'button', text: 'TSV', disabled: true });
  const undo = h('button', { type: 'button', class: 'cf-undo', text: 'Undo', disabled: true });
  const reset = h('button', { type: 'button', text: 'Back to start', disabled: true });
  const history = h('ol', { class: 'cf-history' });
  const chart = h('div', { class: 'cf-trajectory' });
  const threshold = h('input', {
    type: 'number',
    class: 'cf-robustness-threshold',
    min: 0,
    step: 0.01,
    value: String(DEFAULT_THRESHOLD),
    attrs: { 'aria-label': 'Robustness threshold on |Δ prediction|' },
  });
  const robustStats = h('dl', { class: 'cf-facts cf-robustness', hidden: true });
  const robustNote = h('span', { class: 'cf-robustness-latency' });
  const robustError = messageBox('error');
  robustError.classList.add('cf-robustness-error');
  const deltaChart = h('div', { class: 'cf-delta-histogram' });
  const showTrack = h('input', { type: 'checkbox', class: 'cf-track-show', checked: true });
  const pValue = h('input', { type: 'text', class: 'cf-track-p', value: '1e-4', size: 6, attrs: { 'aria-label': 'Motif scan p-value threshold' } });
  const scope = choice('cf-track-scope', 'What the motif scan covers', [
    ['region', 'scan the 80-bp random region (18-97), as the paper'],
    ['construct', 'scan the whole 110-bp construct'],
  ]);
  const trackError = messageBox('error');
  trackError.classList.add('cf-track-error');
  const motifs = motifSet(app);

  const element = h(
    'div',
    { class: 'cf-ism-panel' },
    h('h2', { text: 'In-silico mutagenesis' }),
    seqBox,
    h(
      'div',
      { class: 'cf-row' },
      run,
      h('label', {}, allPositions, ' all 110 positions (not only the 80-bp random region)'),
      latency,
    ),
    h('div', { class: 'cf-row cf-track-controls' }, h('label', {}, showTrack, ' motif track'), h('label', {}, 'p ≤ ', pValue), scope),
    motifSetControl(app),
    error,
    lengthNote,
    trackError,
    figure,
    h('div', { class: 'cf-row' }, h('span', { text: 'Export:' }), png, svgButton, tsvButton),
    h('h3', { text: 'Mutational robustness' }),
    h('p', {
      class: 'cf-hint',
      text: 'How many single mutants of the current sequence change the prediction by less than the threshold (Vaishnav et al. 2022), from its ISM.',
    }),
    h('div', { class: 'cf-row' }, h('label', {}, 'threshold |Δ| < ', threshold), robustNote),
    robustError,
    h('div', { class: 'cf-robustness-view' }, robustStats, deltaChart),
    h('h3', { text: 'Mutational trajectory' }),
    h('p', { class: 'cf-hint', text: 'Each applied mutation (a click on the heatmap, or an edit of the sequence) is a step; Undo goes back one.' }),
    history,
    chart,
    h('div', { class: 'cf-row' }, undo, reset),
  );

  /** @type {Array<{sequence: string, label: string, reference: number|null, result: object|null, changed: Set<number>}>} */
  let steps = [];
  let name = 'sequence';
  let pendingId = null; // the worker job of the latest request
  let ticket = 0; // increases with every request; older replies are dropped
  let timer = null;
  const cache = new Map();

  const cacheKey = (sequence) => `${allPositions.checked ? 'all' : 'rr'}:${sequence}`;
  const remember = (result) => {
    cache.set(cacheKey(result.construct), result);
    if (cache.size > CACHE) cache.delete(cache.keys().next().value);
  };

  /**
   * Runs ISM on `sequence`; `then(result)` applies it if this is still the latest request.
   * Cancels the previous request: dropped if still queued, its result ignored if running.
   */
  const request = async (sequence, then) => {
    clearTimeout(timer);
    const mine = ++ticket;
    if (pendingId !== null) app.cancel(pendingId);
    dropRobustness();
    const cached = cache.get(cacheKey(sequence));
    if (cached) {
      pendingId = null;
      showMessage(error);
      then(cached);
      return;
    }
    latency.textContent = 'running…';
    latency.dataset.state = 'running';
    const t0 = performance.now();
    try {
      const reply = await app.job(
        JOB.ism,
        { sequence, allPositions: allPositions.checked },
        { label: 'In-silico mutagenesis', onId: (id) => (pendingId = id) },
      );
      if (mine !== ticket) return;
      pendingId = null;
      const ms = performance.now() - t0;
      const result = reply.result;
      const mutants = result.width * 3;
      latency.textContent = `${mutants} mutants in ${fmtMs(ms)} (${fmtMs(reply.elapsedMs)} in the model, ${reply.backend === BACKEND.webgpu ? 'WebGPU' : 'CPU'})`;
      latency.dataset.ms = String(Math.round(ms));
      latency.dataset.state = 'done';
      showMessage(error);
      remember(result);
      then(result);
      app.emit('ism', { name, sequence, result, elapsedMs: ms, source: 'panel' });
    } catch (err) {
      if (mine !== ticket || err instanceof CancelledError) return;
      pendingId = null;
      latency.textContent = '';
      latency.dataset.state = 'error';
      showMessage(error, app.reportError(err, 'ism'));
    }
  };

  const current = () => steps.at(-1);

  // ---- robustness of the current sequence: a worker job after each ISM, stale ones cancelled ----
  let robustId = null;
  let robustTicket = 0;
  let robustTimer = null;
  const robustCache = new Map();

  const dropRobustness = () => {
    clearTimeout(robustTimer);
    robustTicket++;
    if (robustId !== null) app.cancel(robustId);
    robustId = null;
  };

  const readThreshold = () => {
    const t = Number(threshold.value);
    return threshold.value.trim() !== '' && Number.isFinite(t) && t >= 0 ? t : null;
  };

  const updateRobustness = async () => {
    const step = current();
    if (!step?.result) return;
    const t = readThreshold();
    if (t === null) {
      showMessage(robustError, 'The threshold must be a number ≥ 0.');
      return;
    }
    showMessage(robustError);
    const result = step.result;
    replaceChildren(deltaChart, deltaHistogramSvg(mutantDeltas(result), t));
    const allPositions = result.width > 80;
    const key = `${allPositions ? 'all' : 'rr'}:${t}:${result.construct}`;
    dropRobustness();
    const cached = robustCache.get(key);
    if (cached) {
      renderRobustness(cached);
      return;
    }
    const mine = robustTicket;
    robustNote.textContent = 'computing…';
    try {
      const reply = await app.job(
        JOB.robustness,
        { sequence: result.construct, threshold: t, allPositions },
        { label: 'Mutational robustness', quiet: true, onId: (id) => (robustId = id) },
      );
      if (mine !== robustTicket) return;
      robustId = null;
      robustCache.set(key, reply.result);
      if (robustCache.size > CACHE) robustCache.delete(robustCache.keys().next().value);
      robustNote.textContent = `${reply.result.mutants} mutants in ${fmtMs(reply.elapsedMs)}`;
      renderRobustness(reply.result);
      app.emit('robustness', { name, sequence: result.construct, result: reply.result, elapsedMs: reply.elapsedMs });
    } catch (err) {
      if (mine !== robustTicket || err instanceof CancelledError) return;
      robustId = null;
      robustNote.textContent = '';
      showMessage(robustError, app.reportError(err, 'robustness'));
    }
  };

  const renderRobustness = (r) => {
    const pct = (f) => `${(100 * f).toFixed(1)}%`;
    // The wasm reports the threshold as a 32-bit float (0.1 -> 0.10000000149011612).
    const t = String(Number(r.threshold.toPrecision(6)));
    const rows = [
      ['robust', `${pct(r.robustFraction)} of ${r.mutants} mutants (|Δ| < ${t})`, 'robust'],
      ['raise', `${pct(r.upFraction)} (Δ ≥ ${t})`, 'up'],
      ['lower', `${pct(r.downFraction)} (Δ ≤ −${t})`, 'down'],
      ['mean |Δ|', fmt(r.meanAbsDelta, 4), 'mean'],
      ['largest increase', fmtSigned(r.maxIncrease), 'max-increase'],
      ['largest decrease', fmtSigned(r.maxDecrease), 'max-decrease'],
      ['prediction', fmt(r.reference, 4), 'reference'],
    ];
    replaceChildren(
      robustStats,
      rows.map(([k, v, cls]) => [h('dt', { text: k }), h('dd', { text: v, class: `cf-robust-${cls}` })]),
    );
    robustStats.dataset.robustFraction = String(r.robustFraction);
    robustStats.dataset.threshold = String(r.threshold);
    robustStats.hidden = false;
  };

  threshold.addEventListener('input', () => {
    clearTimeout(robustTimer);
    robustTimer = setTimeout(updateRobustness, DEBOUNCE_MS);
  });

  const render = () => {
    const step = current();
    undo.disabled = steps.length < 2;
    reset.disabled = steps.length < 2;
    const ready = Boolean(step?.result);
    for (const b of [png, svgButton, tsvButton]) b.disabled = !ready;
    if (ready) {
      drawFigure();
      updateRobustness();
    }
    replaceChildren(
      history,
      steps.map((st, i) => {
        const prev = steps[i - 1]?.reference;
        const delta = i > 0 && st.reference !== null && prev !== null && prev !== undefined ? st.reference - prev : null;
        return h(
          'li',
          { class: i === steps.length - 1 ? 'cf-current' : '' },
          h('span', { class: 'cf-step-label', text: st.label }),
          ': ',
          h('span', { class: 'cf-step-value', text: st.reference === null ? '…' : fmt(st.reference, 4) }),
          delta === null ? '' : h('span', { class: delta >= 0 ? 'cf-up' : 'cf-down', text: ` (${fmtSigned(delta)})` }),
        );
      }),
    );
    if (steps.length > 1 && steps.every((st) => st.reference !== null)) replaceChildren(chart, trajectorySvg(steps));
    else replaceChildren(chart);
  };

  // ---- the motif track: a scan job per sequence and setting, cached ----
  const scans = new Map();
  let setVersion = 0;
  const readP = () => {
    const p = Number(pValue.value);
    return pValue.value.trim() !== '' && p > 0 && p <= 1 ? p : null;
  };
  const scanKey = (construct) => `${scope.value}:${readP()}:${setVersion}:${construct}`;

  /** The track for the current figure: hits when scanned, else (`start`) a scan is started. */
  const trackFor = (construct, start = true) => {
    if (!showTrack.checked) return null;
    const p = readP();
    if (p === null) {
      showMessage(trackError, 'The motif p-value threshold must be a number in (0, 1], e.g. 1e-4.');
      return null;
    }
    showMessage(trackError);
    const where = scope.value === 'region' ? 'random region' : 'whole construct';
    const key = scanKey(construct);
    const hits = scans.get(key);
    if (!hits) {
      if (start) scan(construct, key);
      return { hits: [], note: 'motifs: scanning…', pending: true };
    }
    const n = hits.length;
    return {
      hits,
      note: `motifs: ${n} ${n === 1 ? 'hit' : 'hits'} at p ≤ ${pValue.value.trim()} in the ${where} (${motifs.text ? motifs.name : 'JASPAR 2024 fungi'})`,
      // How to use the track: on screen only, not in exported files.
      hint: 'hover for details, click one to ablate it in the Motifs panel',
    };
  };

  const scan = async (construct, key) => {
    const offset = scope.value === 'region' ? REGION_START : 0;
    try {
      const reply = await app.job(
        JOB.scan,
        { sequence: offset ? construct.slice(REGION_START, REGION_START + REGION_LENGTH) : construct, motifs: motifs.text, pValue: readP() },
        { label: 'Motif scan', quiet: true },
      );
      const hits = reply.result.map((hit) => ({ ...hit, from: offset + hit.start - 1, to: offset + hit.end }));
      scans.set(key, hits);
      if (scans.size > CACHE) scans.delete(scans.keys().next().value);
      if (current()?.result?.construct === construct && scanKey(construct) === key) drawFigure();
    } catch (err) {
      if (!(err instanceof CancelledError)) showMessage(trackError, app.reportError(err, 'scan'));
    }
  };

  /**
   * What the current figure shows: the chosen record's name and the mutations applied to it
   * since (as C61T, its construct positions), so a figure or table exported after clicks and
   * edits is not labelled as the original record.
   */
  const label = () => {
    const start = steps[0];
    const step = current();
    if (!start || !step || step === start) return name;
    // After a deletion or insertion, base-by-base differences say little: the steps do.
    if (steps.some((st) => st.lengthChange)) return `${name} + ${steps.slice(1).map((st) => st.label).join('; ')}`;
    const changes = differences(start.sequence, step.sequence);
    if (!changes.length) return name;
    const what = changes.length > 8 ? `${changes.length} changes` : changes.map((d) => `${d.ref}${d.pos + 1}${d.alt}`).join(' ');
    return `${name} + ${what}`;
  };

  /** The figure as a file shows it: labelled with its sequence, without on-screen instructions. */
  const exportFigure = () => {
    const step = current();
    const track = trackFor(step.result.construct, false);
    return h('div', {}, ismFigure(step.result, { title: label(), changed: step.changed, motifs: track, interactive: false, sequence: step.result.construct }));
  };

  const drawFigure = () => {
    const step = current();
    if (!step?.result) return;
    const track = trackFor(step.result.construct);
    replaceChildren(figure, ismFigure(step.result, { title: label(), changed: step.changed, motifs: track }));
    // What the track shows (the tests wait for it): motif set | scope | p | state.
    figure.dataset.track = track ? [motifs.text ? motifs.name : 'shipped', scope.value, pValue.value.trim(), track.pending ? 'scanning' : 'done'].join('|') : 'off';
    figure.hidden = false;
  };
  for (const input of [showTrack, scope]) input.addEventListener('change', drawFigure);
  let pTimer = null;
  pValue.addEventListener('input', () => {
    clearTimeout(pTimer);
    pTimer = setTimeout(drawFigure, DEBOUNCE_MS);
  });
  app.addEventListener('motifs', () => {
    setVersion++;
    drawFigure();
  });

  /** Sets the text box without disturbing someone who is typing in it. */
  const showSequence = (sequence) => {
    if (seqBox.value.trim().toUpperCase() !== sequence) seqBox.value = sequence;
  };

  const start = (sequence, label) => {
    request(sequence, (result) => {
      steps = [{ sequence: result.construct, label, reference: result.reference, result, changed: new Set() }];
      showSequence(result.construct);
      render();
    });
  };

  /**
   * Adds a step for a new sequence (a clicked mutation or an edit) once its ISM is known.
   * `input`: the sequence as typed (a step compares the next edit with it, since a typed
   * 109-bp sequence becomes a padded 110-bp construct); `changedAt`: the one position to mark
   * for a length change, whose every later base moved.
   */
  const advance = (sequence, labelFor, { input = null, changedAt = null } = {}) => {
    request(sequence, (result) => {
      const prev = current();
      if (!prev) {
        steps = [{ sequence: result.construct, input: input ?? result.construct, label: 'start', reference: result.reference, result, changed: new Set() }];
      } else if (result.construct === prev.sequence) {
        prev.result = result; // same sequence (an 80-bp copy of it, or whitespace): no new step
        prev.input = input ?? prev.input;
      } else {
        const diff = differences(prev.sequence, result.construct);
        const changed = new Set(prev.changed);
        if (changedAt !== null) changed.add(changedAt);
        else for (const d of diff) changed.add(d.pos);
        steps.push({ sequence: result.construct, input: input ?? result.construct, label: labelFor(diff), reference: result.reference, result, changed, lengthChange: changedAt !== null });
      }
      render();
    });
  };

  app.addEventListener('select', (e) => {
    if (e.detail.target && e.detail.target !== 'ism') return;
    name = e.detail.name || 'sequence';
    seqBox.value = e.detail.sequence;
    showMessage(lengthNote);
    start(e.detail.sequence, `start (${name})`);
    if (e.detail.target === 'ism') element.closest?.('section')?.scrollIntoView?.({ block: 'start', behavior: 'smooth' });
    else element.scrollIntoView?.({ block: 'nearest', behavior: 'smooth' });
  });

  run.addEventListener('click', () => {
    const sequence = clean(seqBox.value);
    if (!sequence) {
      showMessage(error, 'Type or paste a sequence, or choose one in the predictions table.');
      return;
    }
    if (current() && clean(current().sequence) === sequence) {
      // Same sequence: re-run (for example after ticking "all positions").
      request(sequence, (result) => {
        current().result = result;
        current().reference = result.reference;
        render();
      });
    } else {
      name = 'sequence';
      showMessage(lengthNote, lengthNoteFor(sequence));
      start(sequence, 'start');
    }
  });

  allPositions.addEventListener('change', () => {
    if (current()) run.click();
  });

  // Live ISM: re-run after a pause in typing; the previous run is cancelled. An edit that
  // changes the length (a deleted or inserted base) is said as such: the model pads or cuts the
  // sequence to 110 bp, which moves every later base, and a plain "edit (47 changes)" would hide it.
  seqBox.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const sequence = clean(seqBox.value);
      if (!sequence) return;
      const prev = current();
      const change = prev ? lengthChange(prev.input ?? prev.sequence, sequence) : null;
      showMessage(lengthNote, change?.note ?? lengthNoteFor(sequence));
      if (change) advance(sequence, () => change.label, { input: sequence, changedAt: change.at });
      else advance(sequence, (diff) => labelFor(diff, 'edit'), { input: sequence });
    }, DEBOUNCE_MS);
  });

  figure.addEventListener('click', (e) => {
    const hit = e.target.closest?.('g.cf-hit');
    if (hit && current()) {
      const d = hit.dataset;
      const detail = { name, sequence: current().sequence, hit: { motifId: d.motif, start: Number(d.start), end: Number(d.end), strand: d.strand, matched: d.matched } };
      app.dispatchEvent(new CustomEvent('hit', { detail }));
      return;
    }
    const cell = e.target.closest?.('rect.cf-mut');
    const step = current();
    if (!cell || !step) return;
    const pos = Number(cell.dataset.pos);
    const alt = cell.dataset.alt;
    const mutated = step.sequence.slice(0, pos) + alt + step.sequence.slice(pos + 1);
    seqBox.value = mutated;
    advance(mutated, (diff) => labelFor(diff, 'mutation'));
  });

  undo.addEventListener('click', () => {
    if (steps.length < 2) return;
    steps.pop();
    back();
  });
  reset.addEventListener('click', () => {
    steps = steps.slice(0, 1);
    back();
  });

  /** Shows the (new) last step, re-running ISM only if its result is not at hand. */
  const back = () => {
    const step = current();
    clearTimeout(timer);
    if (pendingId !== null) app.cancel(pendingId);
    ticket++;
    dropRobustness();
    // As typed (a 109-bp input stays 109 bp), so the next edit compares with what the box shows.
    seqBox.value = step.input ?? step.sequence;
    showMessage(lengthNote, lengthNoteFor(seqBox.value));
    const cached = cache.get(cacheKey(step.sequence));
    if (cached) step.result = cached;
    if (step.result && step.result.width === (allPositions.checked ? 110 : 80)) {
      render();
      return;
    }
    request(step.sequence, (result) => {
      step.result = result;
      render();
    });
  };

  png.addEventListener('click', async () => {
    if (!current()?.result) return;
    try {
      await downloadPng(`camformer-ism-${fileSafe(label())}.png`, exportFigure());
    } catch (err) {
      showMessage(error, app.reportError(err, 'png'));
    }
  });
  svgButton.addEventListener('click', () => {
    if (current()?.result) downloadSvg(`camformer-ism-${fileSafe(label())}.svg`, exportFigure());
  });
  tsvButton.addEventListener('click', () => {
    const step = current();
    if (step?.result) downloadTsv(`camformer-ism-${fileSafe(label())}.tsv`, ismTsv(step.result, label()));
  });

  return { element };
}

function clean(text) {
  // FASTA headers are not part of a sequence someone pastes here.
  return cleanSequence(
    text
      .split(/\r?\n/)
      .filter((line) => !line.startsWith('>'))
      .join(''),
  );
}

/** Positions where two equally long sequences differ. */
function differences(a, b) {
  const out = [];
  if (a.length !== b.length) return out;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) out.push({ pos: i, ref: a[i], alt: b[i] });
  return out;
}

/** The construct length the model reads, and how far off it a typed sequence may be (padded / cut). */
const CONSTRUCT_LENGTH = 110;
const LENGTH_TOLERANCE = 3;

/** What the model does to a typed length: "padded with 1 N at the 3′ end", or null when nothing / not accepted. */
function lengthFix(length) {
  const d = CONSTRUCT_LENGTH - length;
  if (d === 0 || length === REGION_LENGTH || Math.abs(d) > LENGTH_TOLERANCE) return null;
  return d > 0 ? `padded with ${d} N at the 3′ end` : `cut by ${-d} ${d === -1 ? 'base' : 'bases'} at the 3′ end`;
}

/** The standing note for a typed sequence whose length the model adjusts ('' when none). */
function lengthNoteFor(sequence) {
  const fix = lengthFix(sequence.length);
  return fix ? `The sequence is ${sequence.length} bp; Camformer reads 110-bp constructs, so it was ${fix} (the heatmap shows that construct).` : '';
}

/**
 * A typed edit that changed the length: where (the common prefix and suffix of the two
 * sequences), what the model then does, a step label and a note; null for the same length, an
 * 80-bp random region, or a length the model rejects (its own error says so).
 * @returns {{label: string, note: string, at: number}|null}
 */
function lengthChange(before, after) {
  if (before.length === after.length) return null;
  const fix = lengthFix(after.length);
  if (!fix) return null;
  let p = 0;
  while (p < before.length && p < after.length && before[p] === after[p]) p++;
  let q = 0;
  while (q < before.length - p && q < after.length - p && before[before.length - 1 - q] === after[after.length - 1 - q]) q++;
  const removed = before.length - p - q;
  const added = after.length - p - q;
  const bases = (n) => `${n} ${n === 1 ? 'base' : 'bases'}`;
  const at = (n) => (n === 1 ? `position ${p + 1}` : `positions ${p + 1}-${p + n}`);
  const what =
    added === 0 ? `deleted ${bases(removed)} at ${at(removed)}` : removed === 0 ? `inserted ${bases(added)} after position ${p}` : `replaced ${bases(removed)} at ${at(removed)} by ${bases(added)}`;
  const shift = Math.abs(after.length - before.length);
  return {
    label: `${what} (${after.length} bp, ${fix})`,
    note:
      `Length changed: the sequence is now ${after.length} bp (was ${before.length}): ${what}. ` +
      `Camformer reads 110-bp constructs, so it was ${fix}; every base after position ${p} moved by ${shift}, and the heatmap shows that construct. ` +
      'To change a base, type over it instead of deleting or inserting.',
    at: Math.min(p, CONSTRUCT_LENGTH - 1),
  };
}

/** "C45T", "C45T, A46G", or "edit (12 changes)". */
function labelFor(diff, kind) {
  if (diff.length === 0) return kind;
  if (diff.length > 3) return `${kind} (${diff.length} changes)`;
  return diff.map((d) => `${d.ref}${d.pos + 1}${d.alt}`).join(', ');
}
