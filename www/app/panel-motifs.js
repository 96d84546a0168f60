// The Motifs panel: motif what-ifs on one sequence (wasm `motifInsert`, `motifAblate`,
// `motifTile`) and motif pair interactions over many backgrounds (`motifPair`, `motifMatrix`):
// the hits of the sequence (`scanMotifs` of its random region; a click on a hit in the ISM
// panel's motif track comes here too) with one-click ablation; insert a site (consensus or
// typed, either strand) at a position; tile it across the region (plot, TSV); the paper's
// IME1/UME6 analysis (none / A / B / A+B means and the interaction) and a heatmap of it over a
// set of motifs (SVG, TSV). Positions are 1-based in the 80-bp random region (construct 18-97).

import { CancelledError } from './client.js';
import { REGION_LENGTH, REGION_START as START, backendName, choice, cleanSequence, downloadSvg, downloadTsv, fmt, fmtMs, fmtSigned, h, headerRow, messageBox, replaceChildren, showMessage, textBox, tsv } from './dom.js';
import { matrixSvg, tileSvg } from './motif-plots.js';
import { motifSet, motifSetControl } from './motif-set.js';
import { regionPositionOf } from './positions.js';
import { JOB } from './protocol.js';

/**
 * Creates the Motifs panel.
 * @param {import('./app.js').App} app
 * @returns {{element: HTMLElement}}
 */
export function createMotifsPanel(app) {
  const set = motifSet(app);
  const num = (cls, value, min, max, label) =>
    h('input', { type: 'number', class: cls, value: String(value), min, max, step: 1, attrs: { 'aria-label': label } });
  const picker = (cls, value, label) =>
    h('input', { type: 'text', class: `cf-motif-picker ${cls}`, value, size: 12, spellcheck: false, attrs: { list: 'cf-motif-options', 'aria-label': label } });
  const button = (cls, text, primary = false) => h('button', { type: 'button', class: `${primary ? 'cf-primary ' : ''}${cls}`, text });
  const box = () => messageBox('error');

  const sequence = textBox('cf-motifs-sequence', 'Sequence for the motif what-ifs', 'A sequence (80-bp random region or 110-bp construct); choose one in the predictions table');
  const options = h('datalist', { id: 'cf-motif-options' });
  const hitsNote = h('p', { class: 'cf-hint cf-motif-hits-note' });
  const hitsTable = h('table', { class: 'cf-table cf-motif-hits' });
  // Insert / tile
  const motif = picker('cf-insert-motif', 'MA0320.1', 'Motif to insert or tile (id or name)');
  const motifInfo = h('span', { class: 'cf-hint cf-motif-info' });
  const site = h('input', { type: 'text', class: 'cf-insert-site', size: 16, spellcheck: false, placeholder: 'consensus', attrs: { 'aria-label': 'Site to insert (empty: the consensus)' } });
  const strand = choice('cf-insert-strand', 'Strand', [['+', '+ strand'], ['-', '− strand']]);
  // Positions in the app's one convention: construct (47) or random region (r30).
  const posInput = (cls, value, label) => h('input', { type: 'text', class: cls, value, size: 5, spellcheck: false, title: 'construct position 18-97, or r1-r80 in the random region', attrs: { 'aria-label': label } });
  const position = posInput('cf-insert-position', 'r30', 'Insert at position (construct 18-97, or r1-r80)');
  const insert = button('cf-insert-run', 'Insert', true);
  const tile = button('cf-tile-run', 'Tile across the region');
  // Ablate
  const abPosition = posInput('cf-ablate-position', 'r30', 'Ablate from position (construct 18-97, or r1-r80)');
  const abLength = num('cf-ablate-length', 8, 1, 80, 'Ablate this many bases');
  const mode = choice('cf-ablate-mode', 'Ablation', [['shuffle', 'shuffle (composition kept)'], ['replace', 'replace with']]);
  const replacement = h('input', { type: 'text', class: 'cf-ablate-replacement', size: 14, spellcheck: false, placeholder: 'bases', attrs: { 'aria-label': 'Replacement bases' } });
  const seed = num('cf-ablate-seed', 1, 0, undefined, 'Shuffle seed');
  const ablate = button('cf-ablate-run', 'Ablate', true);
  const editError = box();
  const edits = h('table', { class: 'cf-table cf-motif-edits' });
  const editsWrap = h('div', { class: 'cf-table-wrap', hidden: true }, edits);
  const editsTsv = button('cf-edits-tsv', 'Edits TSV');
  editsTsv.disabled = true;
  const tileChart = h('div', { class: 'cf-tile-chart cf-trajectory' });
  const tileNote = h('p', { class: 'cf-summary cf-tile-summary', hidden: true });
  const tileTsv = button('cf-tile-tsv', 'Tile TSV');
  const tileSvgButton = button('cf-tile-svg-button', 'Tile SVG');
  tileTsv.disabled = tileSvgButton.disabled = true;
  // Pairs
  const motifA = picker('cf-pair-a', 'MA0320.1', 'Motif A');
  const motifB = picker('cf-pair-b', 'MA0412.3', 'Motif B');
  const source = choice('cf-pair-source', 'Backgrounds', [['random', 'random 80-bp backgrounds'], ['records', 'the predicted records as backgrounds']]);
  const count = num('cf-pair-n', 100, 1, 100000, 'Number of random backgrounds');
  const pairSeed = num('cf-pair-seed', 1, 0, undefined, 'Seed of the random backgrounds');
  const pair = button('cf-pair-run', 'Run pair', true);
  const matrixIds = h('input', { type: 'text', class: 'cf-matrix-ids', size: 44, spellcheck: false, value: 'MA0320.1, MA0412.3, MA0363.3, MA0265.3', attrs: { 'aria-label': 'Motifs of the pair matrix (ids or names, comma-separated)' } });
  const matrix = button('cf-matrix-run', 'Run matrix');
  const cancel = button('cf-pair-cancel', 'Cancel');
  cancel.disabled = true;
  const progress = h('progress', { class: 'cf-pair-progress', max: 1, value: 0, hidden: true });
  const pairStatus = h('span', { class: 'cf-pair-status', attrs: { role: 'status' } });
  const pairError = box();
  const pairTable = h('table', { class: 'cf-table cf-pair-table' });
  const pairWrap = h('div', { class: 'cf-table-wrap cf-pair-wrap', hidden: true }, pairTable);
  const pairTsv = button('cf-pair-tsv', 'Pair TSV');
  const matrixChart = h('div', { class: 'cf-matrix-chart' });
  const matrixTsv = button('cf-matrix-tsv', 'Matrix TSV');
  const matrixSvgButton = button('cf-matrix-svg-button', 'Matrix SVG');
  pairTsv.disabled = matrixTsv.disabled = matrixSvgButton.disabled = true;

  const element = h(
    'div',
    { class: 'cf-motifs-panel' },
    h('h2', { text: 'Motifs' }),
    h('p', { class: 'cf-hint', text: 'What-ifs with transcription-factor motifs. Positions are construct positions as in every panel (the random region is 18-97), or random-region positions with an r (r30 = construct 47); tables show both. Δ = edited − original prediction.' }),
    sequence,
    options,
    motifSetControl(app),
    h('h3', { text: 'Hits in the random region' }),
    hitsNote,
    h('div', { class: 'cf-table-wrap cf-hits-wrap' }, hitsTable),
    h('h3', { text: 'Insert, ablate, tile' }),
    h('div', { class: 'cf-row' }, 'motif ', motif, motifInfo),
    h('div', { class: 'cf-row' }, h('label', {}, 'site ', site), strand, h('label', {}, 'at ', position), insert, tile),
    h('div', { class: 'cf-row' }, h('label', {}, 'ablate from ', abPosition), h('label', {}, 'length ', abLength), mode, replacement, h('label', {}, 'seed ', seed), ablate),
    editError,
    editsWrap,
    tileNote,
    tileChart,
    h('div', { class: 'cf-row' }, editsTsv, tileTsv, tileSvgButton),
    h('h3', { text: 'Pair interaction' }),
    h('p', { class: 'cf-hint', text: 'Consensus sites of A (centred in r1-r40, construct 18-57) and B (centred in r41-r80, construct 58-97), + strand, inserted alone and together into each background (the paper’s IME1/UME6 analysis); mean ± standard error over backgrounds, interaction = A+B − A − B + none per background.' }),
    h('div', { class: 'cf-row' }, 'A ', motifA, ' B ', motifB, source, h('label', {}, 'N ', count), h('label', {}, 'seed ', pairSeed), pair),
    h('div', { class: 'cf-row' }, h('label', {}, 'matrix over ', matrixIds), matrix, cancel, progress, pairStatus),
    pairError,
    pairWrap,
    matrixChart,
    h('div', { class: 'cf-row' }, pairTsv, matrixTsv, matrixSvgButton),
  );

  const clean = () => cleanSequence(sequence.value);
  const need = (errorBox) => {
    const seq = clean();
    if (!seq) showMessage(errorBox, 'Give a sequence first (or choose one in the predictions table).');
    return seq || null;
  };
  const intOf = (input, what, lo, hi) => {
    const v = Number(input.value);
    if (input.value.trim() === '' || !Number.isInteger(v) || v < lo || (hi !== undefined && v > hi)) throw new Error(`${what}: a whole number${hi === undefined ? ` ≥ ${lo}` : ` from ${lo} to ${hi}`}.`);
    return v;
  };
  const motifId = (input, what) => {
    const m = set.find(input.value);
    if (!m) throw new Error(`${what}: ${set.whyNot(input.value)}.`);
    return m.id;
  };
  const nameOf = (id) => {
    const m = set.find(id);
    return m?.altId ? `${m.altId} ${m.id}` : id;
  };

  // ---- the motif list (datalist for the pickers) ----
  app.addEventListener('motifs', () => {
    replaceChildren(options, (set.list ?? []).map((m) => h('option', { value: m.id, text: `${m.altId ?? ''} · ${m.consensus}` })));
    describeMotif();
    scanHits();
  });
  const describeMotif = () => {
    const m = set.find(motif.value);
    motifInfo.textContent = m
      ? `${m.id} ${m.altId ?? ''}: consensus ${m.consensus} (${m.width} bp)`
      : set.list && motif.value.trim() ? set.whyNot(motif.value) : '';
    site.placeholder = m ? m.consensus : 'consensus';
  };
  motif.addEventListener('input', describeMotif);

  // ---- hits of the current sequence ----
  let hits = [];
  let hitsTicket = 0;
  let hitsTimer = null;
  const scanHits = async () => {
    const mine = ++hitsTicket;
    const text = clean();
    if (!text || !app.client) {
      hitsNote.textContent = 'No sequence yet.';
      replaceChildren(hitsTable);
      return;
    }
    try {
      const parsed = (await app.job(JOB.parse, { text }, { quiet: true })).result;
      const record = parsed.records[0];
      if (!record) throw new Error(parsed.rejected[0]?.message ?? 'not a sequence');
      const reply = await app.job(JOB.scan, { sequence: record.construct.slice(START, START + REGION_LENGTH), motifs: set.text, pValue: 1e-4 }, { quiet: true, label: 'Motif scan' });
      if (mine !== hitsTicket) return;
      hits = reply.result;
      hitsNote.textContent = `${hits.length} ${hits.length === 1 ? 'hit' : 'hits'} at p ≤ 1e-4 (FIMO’s defaults, both strands); “Ablate” ${mode.value === 'shuffle' ? 'shuffles' : 'replaces'} the hit.`;
      const head = headerRow(['motif', 'name', 'strand', 'region', 'construct', 'score', 'p-value', 'matched', '']);
      const rows = hits.map((hit, i) =>
        h('tr', { data: { index: i, motif: hit.motifId, start: hit.start } },
          h('td', { text: hit.motifId }),
          h('td', { text: hit.altId ?? '' }),
          h('td', { text: hit.strand }),
          h('td', { class: 'cf-num', text: `${hit.start}-${hit.end}` }),
          h('td', { class: 'cf-num', text: `${hit.start + START}-${hit.end + START}` }),
          h('td', { class: 'cf-num', text: fmt(hit.score, 2) }),
          h('td', { class: 'cf-num', text: hit.pValue.toExponential(2) }),
          h('td', { class: 'cf-seq-view', text: hit.matched }),
          h('td', {}, h('button', { type: 'button', class: 'cf-ism-button cf-hit-ablate', text: 'Ablate' }))),
      );
      replaceChildren(hitsTable, h('thead', {}, head), h('tbody', {}, rows));
    } catch (err) {
      if (mine !== hitsTicket || err instanceof CancelledError) return;
      hitsNote.textContent = `No scan: ${err.message}`;
      replaceChildren(hitsTable);
    }
  };
  sequence.addEventListener('input', () => {
    clearTimeout(hitsTimer);
    hitsTimer = setTimeout(scanHits, 300);
  });
  const ablateHit = (start, end) => {
    abPosition.value = `r${start}`;
    abLength.value = String(end - start + 1);
    ablate.click();
  };
  hitsTable.addEventListener('click', (e) => {
    const row = e.target.closest?.('.cf-hit-ablate') && e.target.closest('tr[data-index]');
    const hit = row && hits[Number(row.dataset.index)];
    if (hit) ablateHit(hit.start, hit.end);
  });
  // A hit clicked in the ISM panel's motif track (construct positions).
  app.addEventListener('hit', (e) => {
    const { sequence: seq, hit } = e.detail;
    const a = Math.max(hit.start, START + 1);
    const b = Math.min(hit.end, START + REGION_LENGTH);
    sequence.value = seq;
    scanHits();
    element.closest?.('section')?.scrollIntoView?.({ block: 'start', behavior: 'smooth' });
    if (b < a) {
      showMessage(editError, `That hit (${hit.motifId}, construct ${hit.start}-${hit.end}) lies outside the random region, which is all that can be edited.`);
      return;
    }
    ablateHit(a - START, b - START);
  });

  app.addEventListener('select', (e) => {
    if (e.detail.target && e.detail.target !== 'motifs') return;
    sequence.value = e.detail.sequence;
    scanHits();
  });
  app.addEventListener('results', (e) => {
    if (!sequence.value.trim() && e.detail?.records.length) {
      sequence.value = e.detail.records[0].construct;
      scanHits();
    }
  });

  // ---- insert / ablate: a table of edits ----
  const editRows = [];
  const runEdit = async (type, params, buttonEl) => {
    showMessage(editError);
    buttonEl.disabled = true;
    try {
      const reply = await app.job(type, params, { label: type === JOB.motifInsert ? 'Inserting a motif' : 'Ablating' });
      const r = reply.result;
      for (const fx of r.effects) editRows.unshift({ ...fx.edit, reference: r.reference, prediction: fx.prediction, delta: fx.delta });
      renderEdits();
      app.emit('motif', { kind: type === JOB.motifInsert ? 'insert' : 'ablate', params, result: r, elapsedMs: reply.elapsedMs });
    } catch (err) {
      if (!(err instanceof CancelledError)) showMessage(editError, app.reportError(err, type));
    } finally {
      buttonEl.disabled = false;
    }
  };
  const renderEdits = () => {
    const head = headerRow(['edit', 'region', 'construct', 'bases written', 'reference', 'edited', 'Δ']);
    const rows = editRows.map((r) =>
      h('tr', {},
        h('td', { text: r.label }),
        h('td', { class: 'cf-num', text: `${r.position}-${r.position + r.bases.length - 1}` }),
        h('td', { class: 'cf-num', text: `${r.position + START}-${r.position + START + r.bases.length - 1}` }),
        h('td', { class: 'cf-seq-view', text: r.bases }),
        h('td', { class: 'cf-num', text: fmt(r.reference, 4) }),
        h('td', { class: 'cf-num', text: fmt(r.prediction, 4) }),
        h('td', { class: `cf-num cf-delta ${r.delta >= 0 ? 'cf-up' : 'cf-down'}`, text: fmtSigned(r.delta), data: { delta: String(r.delta) } })),
    );
    replaceChildren(edits, h('thead', {}, head), h('tbody', {}, rows));
    editsWrap.hidden = editsTsv.disabled = editRows.length === 0;
  };
  insert.addEventListener('click', () => {
    const seq = need(editError);
    if (!seq) return;
    try {
      const params = { sequence: seq, motif: motifId(motif, 'Motif'), site: site.value.trim() || null, strand: strand.value, position: regionPositionOf(position.value, 'Position'), motifs: set.text };
      runEdit(JOB.motifInsert, params, insert);
    } catch (err) {
      showMessage(editError, err.message);
    }
  });
  ablate.addEventListener('click', () => {
    const seq = need(editError);
    if (!seq) return;
    try {
      const replace = mode.value === 'replace';
      if (replace && !replacement.value.trim()) throw new Error('Give the replacement bases (or choose shuffle).');
      const params = { sequence: seq, position: regionPositionOf(abPosition.value, 'Ablate from'), length: intOf(abLength, 'Length', 1, 80), replacement: replace ? replacement.value.trim() : null, seed: intOf(seed, 'Seed', 0) };
      runEdit(JOB.motifAblate, params, ablate);
    } catch (err) {
      showMessage(editError, err.message);
    }
  });
  editsTsv.addEventListener('click', () => {
    const rows = [['edit', 'position', 'bases', 'reference', 'prediction', 'delta'], ...editRows.map((r) => [r.label, r.position, r.bases, r.reference.toFixed(6), r.prediction.toFixed(6), r.delta.toFixed(6)])];
    downloadTsv('camformer-motif-edits.tsv', tsv(rows));
  });

  // ---- tile ----
  let tiling = null;
  tile.addEventListener('click', async () => {
    showMessage(editError);
    const seq = need(editError);
    if (!seq) return;
    let params;
    try {
      params = { sequence: seq, motif: motifId(motif, 'Motif'), site: site.value.trim() || null, motifs: set.text };
    } catch (err) {
      showMessage(editError, err.message);
      return;
    }
    tile.disabled = true;
    try {
      const reply = await app.job(JOB.motifTile, params, { label: 'Tiling a motif' });
      tiling = reply.result;
      const best = tiling.points.reduce((a, b) => (b.prediction > a.prediction ? b : a));
      const worst = tiling.points.reduce((a, b) => (b.prediction < a.prediction ? b : a));
      tileNote.textContent = `${tiling.points.length} placements in ${fmtMs(reply.elapsedMs)}; reference ${fmt(tiling.reference, 4)}, highest ${fmt(best.prediction, 4)} (${best.strand} at ${best.position}), lowest ${fmt(worst.prediction, 4)} (${worst.strand} at ${worst.position}).`;
      tileNote.hidden = false;
      replaceChildren(tileChart, tileSvg(tiling));
      tileTsv.disabled = tileSvgButton.disabled = false;
      app.emit('motif', { kind: 'tile', params, result: tiling, elapsedMs: reply.elapsedMs });
    } catch (err) {
      if (!(err instanceof CancelledError)) showMessage(editError, app.reportError(err, 'motifTile'));
    } finally {
      tile.disabled = false;
    }
  });
  tileTsv.addEventListener('click', () => {
    if (!tiling) return;
    const rows = [['site', 'bases', 'position', 'strand', 'prediction', 'delta'], ...tiling.points.map((p) => [tiling.site.label, tiling.site.bases, p.position, p.strand, p.prediction.toFixed(6), p.delta.toFixed(6)])];
    downloadTsv('camformer-motif-tile.tsv', tsv(rows));
  });
  tileSvgButton.addEventListener('click', () => downloadSvg('camformer-motif-tile.svg', tileChart));

  // ---- pair and matrix: long jobs over backgrounds, one at a time, cancellable ----
  let running = null;
  let pairResult = null;
  let matrixResult = null;
  const backgrounds = () => {
    if (source.value === 'random') return { backgrounds: null, n: intOf(count, 'N', 1, 100000), seed: intOf(pairSeed, 'Seed', 0) };
    const records = app.state.results?.records ?? [];
    if (!records.length) throw new Error('No predicted records to use as backgrounds: predict some sequences first, or choose random backgrounds.');
    return { backgrounds: records.map((r) => r.construct), n: records.length, seed: 0 };
  };
  const runLong = async (type, params, label, show) => {
    const job = { id: null };
    running = job;
    for (const b of [pair, matrix]) b.disabled = true;
    cancel.disabled = false;
    progress.hidden = false;
    progress.value = 0;
    pairStatus.textContent = 'starting…';
    showMessage(pairError);
    const t0 = performance.now();
    try {
      const reply = await app.job(type, params, {
        label,
        cancellable: true,
        onId: (id) => (job.id = id),
        onProgress: (m) => {
          progress.max = m.total;
          progress.value = m.done;
          pairStatus.textContent = `${m.done} / ${m.total} backgrounds · ${fmtMs(m.elapsedMs)}`;
        },
      });
      const ms = performance.now() - t0;
      pairStatus.textContent = `${label}: ${params.backgrounds ? params.backgrounds.length : params.n} backgrounds in ${fmtMs(ms)} on the ${backendName(reply.backend)}.`;
      pairStatus.dataset.ms = String(Math.round(ms));
      show(reply.result);
      app.emit('motif', { kind: type === JOB.motifPair ? 'pair' : 'matrix', params: { ...params, backgrounds: params.backgrounds ? params.backgrounds.length : null }, result: reply.result, elapsedMs: ms });
    } catch (err) {
      if (err instanceof CancelledError) {
        // What the backgrounds done so far give is kept, and labelled as such.
        const part = err.partial;
        if (part?.result && part.done >= 2) {
          pairStatus.textContent = `Cancelled. Shown: the ${part.done.toLocaleString('en')} of ${part.total.toLocaleString('en')} backgrounds done.`;
          show(part.result);
        } else {
          pairStatus.textContent = 'Cancelled.';
        }
      } else {
        pairStatus.textContent = '';
        showMessage(pairError, app.reportError(err, type));
      }
    } finally {
      running = null;
      for (const b of [pair, matrix]) b.disabled = false;
      cancel.disabled = true;
      progress.hidden = true;
    }
  };
  cancel.addEventListener('click', () => {
    if (running?.id != null) app.cancel(running.id);
  });
  // Interactions can be tiny: those get significant digits rather than four zeros.
  const small = (v) => (v !== 0 && Math.abs(v) < 5e-4 ? v.toExponential(2) : fmt(v, 4));
  const summary = (x) => `${small(x.mean)} ± ${small(x.se)}`;
  pair.addEventListener('click', () => {
    let params;
    try {
      params = { a: motifId(motifA, 'Motif A'), b: motifId(motifB, 'Motif B'), ...backgrounds(), motifs: set.text };
    } catch (err) {
      showMessage(pairError, err.message);
      return;
    }
    runLong(JOB.motifPair, params, 'Pair interaction', (r) => {
      pairResult = r;
      const row = (what, x, cls = '') =>
        h('tr', { class: cls, data: { key: what } }, h('td', { text: what }), h('td', { class: 'cf-num', text: small(x.mean) }), h('td', { class: 'cf-num', text: small(x.se) }), h('td', { class: 'cf-num', text: x.n }));
      replaceChildren(
        pairTable,
        h('thead', {}, headerRow(['condition', 'mean prediction', '± SE', 'n'])),
        h('tbody', {},
          row('none', r.none),
          row(`A: ${nameOf(params.a)} at ${r.a.position}`, r.with_a),
          row(`B: ${nameOf(params.b)} at ${r.b.position}`, r.with_b),
          row('A + B', r.with_ab),
          row('interaction (A+B − A − B + none)', r.interaction, 'cf-interaction')),
      );
      pairWrap.hidden = false;
      pairTsv.disabled = false;
      pairStatus.textContent += ` Interaction ${summary(r.interaction)}.`;
    });
  });
  matrix.addEventListener('click', () => {
    let params;
    try {
      const ids = matrixIds.value.split(/[\s,;]+/).filter(Boolean).map((q) => motifId({ value: q }, 'Matrix'));
      if (ids.length < 1) throw new Error('Name at least one motif for the matrix.');
      params = { motifIds: ids, ...backgrounds(), motifs: set.text };
    } catch (err) {
      showMessage(pairError, err.message);
      return;
    }
    runLong(JOB.motifMatrix, params, 'Pair matrix', (r) => {
      matrixResult = { ...r, ids: params.motifIds };
      replaceChildren(matrixChart, matrixSvg(r, nameOf));
      matrixTsv.disabled = matrixSvgButton.disabled = false;
    });
  });
  const pairRow = (a, b, p) => [a, b, ...['none', 'with_a', 'with_b', 'with_ab', 'interaction'].flatMap((k) => [p[k].mean.toFixed(6), p[k].se.toFixed(6)]), p.none.n];
  const pairHeader = ['a', 'b', 'none', 'none_se', 'a_mean', 'a_se', 'b_mean', 'b_se', 'ab_mean', 'ab_se', 'interaction', 'interaction_se', 'n'];
  pairTsv.addEventListener('click', () => {
    if (pairResult) downloadTsv('camformer-motif-pair.tsv', tsv([pairHeader, pairRow(pairResult.a.label, pairResult.b.label, pairResult)]));
  });
  matrixTsv.addEventListener('click', () => {
    if (!matrixResult) return;
    const rows = matrixResult.pairs.flatMap((row, i) => row.map((p, j) => pairRow(matrixResult.ids[i], matrixResult.ids[j], p)));
    downloadTsv('camformer-motif-matrix.tsv', tsv([pairHeader, ...rows]));
  });
  matrixSvgButton.addEventListener('click', () => downloadSvg('camformer-motif-matrix.svg', matrixChart));

  return { element };
}
