// The attributions panel (wasm `attribute`): Grad-CAM as the Camformer authors computed it (a
// chosen convolution block; channel-mean activation x input gradient, divided by its maximum)
// and plain gradient x input, for one sequence over the 110-bp construct: a logo of the
// per-position values (the reference base scaled by its value, below the axis when negative)
// over a per-channel heatmap (A, C, G, T and Mini's purine flag); SVG, PNG, TSV.

import { CancelledError } from './client.js';
import { REGION_LENGTH, REGION_START, backendName, choice, cleanSequence, downloadPng, downloadSvg, downloadTsv, fileSafe, fmt, fmtMs, h, messageBox, replaceChildren, s, showMessage, svgText, textBox, tsv } from './dom.js';
import { BASE_COLORS, deltaColor, deltaLegend, legendWidth, logoLayout, logoLetter } from './ism-plots.js';
import { JOB } from './protocol.js';

const CHANNELS = ['A', 'C', 'G', 'T', 'purine'];

/**
 * Creates the attributions panel.
 * @param {import('./app.js').App} app
 * @returns {{element: HTMLElement}}
 */
export function createAttributionsPanel(app) {
  const sequence = textBox('cf-attr-sequence', 'Sequence for the attributions', 'A sequence (80-bp random region or 110-bp construct); choose one in the predictions table');
  const method = choice('cf-attr-method', 'Attribution method', [
    ['gradcam', 'Grad-CAM (the authors’)'],
    ['grad-x-input', 'gradient × input'],
  ]);
  const layer = choice('cf-attr-layer', 'Grad-CAM block', []);
  const run = h('button', { type: 'button', class: 'cf-primary cf-attr-run', text: 'Attribute' });
  const note = h('span', { class: 'cf-latency cf-attr-latency' });
  const explain = h('p', { class: 'cf-hint cf-attr-explain' });
  const error = messageBox('error');
  const figure = h('div', { class: 'cf-figure cf-attr-figure', hidden: true });
  const exports = ['SVG', 'PNG', 'TSV'].map((t) => h('button', { type: 'button', class: `cf-attr-${t.toLowerCase()}`, text: t, disabled: true }));

  const element = h(
    'div',
    { class: 'cf-attributions-panel' },
    h('h2', { text: 'Attributions' }),
    sequence,
    h('div', { class: 'cf-row' }, method, h('label', {}, 'block ', layer), run, note),
    explain,
    error,
    figure,
    h('div', { class: 'cf-row' }, h('span', { text: 'Export:' }), exports),
  );

  let last = null; // {name, result}
  let name = 'sequence';
  let ticket = 0;

  const describe = () => {
    layer.disabled = method.value !== 'gradcam';
    explain.textContent =
      method.value === 'gradcam'
        ? 'Grad-CAM as in the authors’ gradcam_utils.py: the channel mean of the chosen block’s convolution output (resampled to 110 positions) times the gradient of the prediction with respect to each input channel, divided by the map’s maximum (so the largest value is 1; negative values kept). The logo shows the channel mean per position.'
        : 'Gradient × input: each input channel times the gradient of the prediction with respect to it (in prediction units, unnormalised). The logo shows the sum over channels per position: the first-order change of the prediction if that base were taken out.';
  };
  method.addEventListener('change', describe);
  describe();

  app.addEventListener('model', (e) => {
    const blocks = e.detail.manifest?.architecture?.blocks?.length ?? 0;
    replaceChildren(layer, Array.from({ length: blocks }, (_, i) => h('option', { value: String(i), text: `${i}${i === blocks - 1 ? ' (last, default)' : ''}` })));
    layer.value = String(Math.max(0, blocks - 1));
  });

  const attribute = async () => {
    const seq = cleanSequence(sequence.value);
    if (!seq) {
      showMessage(error, 'Type or paste a sequence, or choose one in the predictions table.');
      return;
    }
    const mine = ++ticket;
    const params = { sequence: seq, method: method.value, layer: method.value === 'gradcam' && layer.value !== '' ? Number(layer.value) : null };
    note.textContent = 'running…';
    run.disabled = true;
    try {
      const reply = await app.job(JOB.attribute, params, { label: 'Attributions' });
      if (mine !== ticket) return;
      showMessage(error);
      last = { name, params, result: reply.result };
      note.textContent = `${fmtMs(reply.elapsedMs)} on the ${backendName(reply.backend)}`;
      replaceChildren(figure, attributionSvg(reply.result, { title: name, block: params.layer }));
      figure.hidden = false;
      for (const b of exports) b.disabled = false;
      app.emit('attribution', { name, ...params, result: reply.result, elapsedMs: reply.elapsedMs });
    } catch (err) {
      if (mine !== ticket || err instanceof CancelledError) return;
      note.textContent = '';
      showMessage(error, app.reportError(err, 'attribute'));
    } finally {
      if (mine === ticket) run.disabled = false;
    }
  };
  run.addEventListener('click', attribute);
  layer.addEventListener('change', () => last && attribute());
  method.addEventListener('change', () => last && attribute());

  app.addEventListener('select', (e) => {
    if (e.detail.target && e.detail.target !== 'attributions') return;
    name = e.detail.name || 'sequence';
    sequence.value = e.detail.sequence;
    // Computed right away only where the panel is shown.
    if (!element.closest('section')?.hidden) attribute();
  });
  sequence.addEventListener('input', () => (name = 'sequence'));

  const file = (ext) => `camformer-${last.params.method}-${fileSafe(last.name)}.${ext}`;
  const [svgButton, pngButton, tsvButton] = exports;
  svgButton.addEventListener('click', () => {
    if (last) downloadSvg(file('svg'), figure);
  });
  pngButton.addEventListener('click', async () => {
    if (!last) return;
    try {
      await downloadPng(file('png'), figure);
    } catch (err) {
      showMessage(error, app.reportError(err, 'png'));
    }
  });
  tsvButton.addEventListener('click', () => {
    if (last) downloadTsv(file('tsv'), attributionTsv(last.result));
  });

  return { element };
}

/**
 * The attributions as TSV: 1-based construct position, reference base, the per-position value
 * and each channel's.
 * @param {{channels: number, values: number[], perPosition: number[], construct?: string|null}} r
 * @returns {string}
 */
export function attributionTsv(r) {
  const names = CHANNELS.slice(0, r.channels);
  const rows = [['position', 'base', 'per_position', ...names]];
  for (let p = 0; p < 110; p++) rows.push([p + 1, r.construct?.[p] ?? '', r.perPosition[p].toFixed(6), ...names.map((_, c) => r.values[c * 110 + p].toFixed(6))]);
  return tsv(rows);
}

/** The figure: logo of the per-position values over the channel heatmap (r.construct: the reference bases). */
function attributionSvg(r, { title, block }) {
  const cw = 8;
  const ch = 13;
  const left = 56;
  const right = 12;
  const W = left + 110 * cw + right;
  const logoTop = 30;
  const logoH = 100;
  const heatTop = logoTop + logoH + 16;
  const H = heatTop + r.channels * ch + 58;
  const per = r.perPosition;
  const construct = r.construct ?? '';
  const { scale, axis } = logoLayout(per, logoTop, logoH, 1e-12);
  const maxAbs = Math.max(1e-12, ...r.values.map(Math.abs));
  const letters = [];
  for (let p = 0; p < 110; p++) {
    const base = construct[p] ?? 'N';
    letters.push(logoLetter(base, { x: left + p * cw + 0.5, axis, value: per[p], scale, cw }, { class: 'cf-attr-letter', 'data-pos': p + 1 }, `${base}${p + 1}: ${fmt(per[p], 4)}`));
  }
  const cells = [];
  for (let c = 0; c < r.channels; c++) {
    for (let p = 0; p < 110; p++) {
      const v = r.values[c * 110 + p];
      const isRef = c < 4 && construct[p] === CHANNELS[c];
      cells.push(
        s('rect', { x: left + p * cw, y: heatTop + c * ch, width: cw, height: ch, fill: deltaColor(v, maxAbs), stroke: '#fff', 'stroke-width': 0.3, class: 'cf-attr-cell', 'data-channel': CHANNELS[c], 'data-pos': p + 1, 'data-value': String(v) },
          s('title', { text: `${CHANNELS[c]} at ${p + 1}${isRef ? ' (reference base)' : ''}: ${fmt(v, 4)}` })),
        isRef && s('circle', { cx: left + p * cw + cw / 2, cy: heatTop + c * ch + ch / 2, r: 1.3, fill: '#333', 'pointer-events': 'none' }),
      );
    }
  }
  const ticks = [];
  for (let p = 10; p <= 110; p += 10) ticks.push(svgText(left + (p - 0.5) * cw, heatTop + r.channels * ch + 12, String(p)));
  const region = [REGION_START, REGION_START + REGION_LENGTH].map((p) => s('line', { x1: left + p * cw, y1: logoTop, x2: left + p * cw, y2: heatTop + r.channels * ch, stroke: '#9aa5b1', 'stroke-dasharray': '2 2' }));
  const lx = W - right - legendWidth() - 40;
  const ly = heatTop + r.channels * ch + 24;
  const what =
    r.method === 'gradcam'
      ? `Grad-CAM of block ${block ?? 'last'} (normalised by its maximum; ×${fmt(r.scale, 5)} gives the raw values)`
      : 'gradient × input (prediction units)';
  return s(
    'svg',
    { viewBox: `0 0 ${W} ${H}`, class: 'cf-attr-svg', role: 'img', 'aria-label': `${what} of ${title}` },
    s('rect', { x: 0, y: 0, width: W, height: H, fill: '#fff' }),
    svgText(left, 14, `${title} · prediction ${fmt(r.prediction, 4)} · ${what}`, { 'text-anchor': 'start', 'font-size': 11 }),
    svgText(left - 6, logoTop + 8, r.method === 'gradcam' ? 'mean' : 'sum', { 'text-anchor': 'end', 'font-size': 9 }),
    region,
    s('line', { x1: left, y1: axis, x2: left + 110 * cw, y2: axis, stroke: '#999', 'stroke-width': 0.5 }),
    s('g', { class: 'cf-attr-logo' }, letters),
    s('g', { class: 'cf-attr-heatmap' }, cells),
    CHANNELS.slice(0, r.channels).map((b, c) => svgText(left - 6, heatTop + c * ch + ch / 2 + 3.5, b, { 'text-anchor': 'end', 'font-weight': 'bold', fill: BASE_COLORS[b] ?? '#333', 'font-size': 9 })),
    ticks,
    svgText(left, ly + 8, 'position in the 110-bp construct (dashed: random region 18-97); dot = reference base', { 'text-anchor': 'start', 'font-size': 9 }),
    deltaLegend(lx, ly, maxAbs),
  );
}
