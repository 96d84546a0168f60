// SVG figures of the Motifs panel: prediction against position for a tiled motif (both
// strands), and the pair-interaction heatmap over a set of motifs. Styling is in attributes,
// so SVG and PNG exports look like the page.

import { fmt, fmtSigned, s, svgText as label } from './dom.js';
import { deltaColor, deltaLegend } from './ism-plots.js';

/** Round axis ticks between lo and hi. */
function ticks(lo, hi, count = 5) {
  const raw = (hi - lo) / count || 1;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((v) => v >= raw) ?? 10 * mag;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

/**
 * Prediction against the 1-based random-region start of a tiled site, one line per strand,
 * the reference prediction dashed. Points carry data-position, data-strand, data-prediction.
 * @param {{site: {label: string, bases: string}, reference: number, points: Array<{position: number, strand: string, prediction: number, delta: number}>}} tiling
 * @returns {SVGSVGElement}
 */
export function tileSvg(tiling) {
  const W = 640;
  const H = 250;
  const m = { left: 52, right: 14, top: 28, bottom: 40 };
  const values = [tiling.reference, ...tiling.points.map((p) => p.prediction)];
  const pad = (Math.max(...values) - Math.min(...values)) * 0.06 || 0.1;
  const lo = Math.min(...values) - pad;
  const hi = Math.max(...values) + pad;
  const last = Math.max(...tiling.points.map((p) => p.position), 2);
  const x = (pos) => m.left + ((pos - 1) / (last - 1)) * (W - m.left - m.right);
  const y = (v) => m.top + (1 - (v - lo) / (hi - lo)) * (H - m.top - m.bottom);
  const colors = { '+': '#d62839', '-': '#2166ac' };
  const lines = ['+', '-'].map((strand) => {
    const pts = tiling.points.filter((p) => p.strand === strand);
    return [
      s('polyline', { points: pts.map((p) => `${fmt(x(p.position), 2)},${fmt(y(p.prediction), 2)}`).join(' '), fill: 'none', stroke: colors[strand], 'stroke-width': 1.4 }),
      pts.map((p) =>
        s('circle', { cx: x(p.position), cy: y(p.prediction), r: 2, fill: colors[strand], class: 'cf-tile-point', 'data-position': p.position, 'data-strand': strand, 'data-prediction': String(p.prediction) },
          s('title', { text: `${tiling.site.label} ${strand} at ${p.position}: ${fmt(p.prediction, 4)} (Δ ${fmtSigned(p.delta)})` }))),
    ];
  });
  const yTicks = ticks(lo, hi).map((v) => [
    s('line', { x1: m.left - 4, y1: y(v), x2: W - m.right, y2: y(v), stroke: '#eef1f5' }),
    label(m.left - 6, y(v) + 3, fmt(v, 2), { 'text-anchor': 'end' }),
  ]);
  const xTicks = [1, ...ticks(1, last).filter((v) => v > 5 && v <= last)].map((v) => label(x(v), H - m.bottom + 13, String(v)));
  return s(
    'svg',
    { viewBox: `0 0 ${W} ${H}`, class: 'cf-tile-svg', role: 'img', 'aria-label': `Prediction with ${tiling.site.label} tiled across the random region` },
    s('rect', { x: 0, y: 0, width: W, height: H, fill: '#fff' }),
    yTicks,
    s('line', { x1: m.left, y1: y(tiling.reference), x2: W - m.right, y2: y(tiling.reference), stroke: '#5a6472', 'stroke-dasharray': '4 3' }),
    lines,
    s('line', { x1: m.left, y1: H - m.bottom, x2: W - m.right, y2: H - m.bottom, stroke: '#333' }),
    s('line', { x1: m.left, y1: m.top, x2: m.left, y2: H - m.bottom, stroke: '#333' }),
    xTicks,
    label(m.left, 14, `${tiling.site.label} (${tiling.site.bases}) tiled across the random region`, { 'text-anchor': 'start', 'font-size': 11 }),
    label(W - m.right - 200, 14, '— + strand', { 'text-anchor': 'start', fill: colors['+'] }),
    label(W - m.right - 140, 14, '— − strand', { 'text-anchor': 'start', fill: colors['-'] }),
    label(W - m.right, 14, '- - - reference', { 'text-anchor': 'end', fill: '#5a6472' }),
    label((m.left + W - m.right) / 2, H - 8, 'site start in the random region (1-based; construct position = start + 17)'),
    label(14, (m.top + H - m.bottom) / 2, 'prediction', { transform: `rotate(-90 14 ${(m.top + H - m.bottom) / 2})` }),
  );
}

/**
 * The pair-interaction heatmap: rows the site in slot A (centred in 1-40), columns the site in
 * slot B (centred in 41-80), colour the mean interaction AB - A - B + none. Cells carry
 * data-row, data-col, data-interaction, and a tooltip with every mean.
 * @param {{sites: Array<{label: string, bases: string}>, pairs: Array<Array<object>>}} matrix
 * @param {(id: string) => string} [nameOf] a motif's display name
 * @returns {SVGSVGElement}
 */
export function matrixSvg(matrix, nameOf = (id) => id) {
  const k = matrix.sites.length;
  const cell = Math.max(28, Math.min(48, Math.floor(360 / k)));
  const full = matrix.sites.map((site) => nameOf(site.label));
  // Short labels: the names when they tell the motifs apart, else the ids.
  const first = full.map((n) => n.split(' ')[0]);
  const names = new Set(first).size === k ? first : matrix.sites.map((site) => site.label);
  const left = 24 + Math.max(...names.map((n) => n.length)) * 6;
  const top = 44 + Math.max(...names.map((n) => n.length)) * 4;
  const W = Math.max(left + k * cell + 20, 440);
  const H = top + k * cell + 44;
  const maxAbs = Math.max(1e-9, ...matrix.pairs.flat().map((p) => Math.abs(p.interaction.mean)));
  const cells = [];
  matrix.pairs.forEach((row, i) =>
    row.forEach((p, j) => {
      const v = p.interaction.mean;
      const cx = left + j * cell;
      const cy = top + i * cell;
      cells.push(
        s('rect', { x: cx, y: cy, width: cell, height: cell, fill: deltaColor(v, maxAbs), stroke: '#fff', class: 'cf-matrix-cell', 'data-row': i, 'data-col': j, 'data-interaction': String(v) },
          s('title', {
            text: `A ${full[i]} (slot A) × B ${full[j]} (slot B)\ninteraction ${fmt(v, 4)} ± ${fmt(p.interaction.se, 4)}\nnone ${fmt(p.none.mean, 4)}, A ${fmt(p.with_a.mean, 4)}, B ${fmt(p.with_b.mean, 4)}, A+B ${fmt(p.with_ab.mean, 4)} (n ${p.none.n})`,
          })),
      );
      if (cell >= 36) cells.push(label(cx + cell / 2, cy + cell / 2 + 3, fmt(v, 3), { 'font-size': 9, 'pointer-events': 'none' }));
    }),
  );
  const ly = top + k * cell + 18;
  return s(
    'svg',
    { viewBox: `0 0 ${W} ${H}`, class: 'cf-matrix-svg', role: 'img', 'aria-label': 'Motif pair interaction heatmap' },
    s('rect', { x: 0, y: 0, width: W, height: H, fill: '#fff' }),
    label(8, 14, 'interaction = A+B − A − B + none (mean over backgrounds)', { 'text-anchor': 'start', 'font-size': 11 }),
    label(left + (k * cell) / 2, 30, 'site in slot B (centred in r41-r80)', { 'font-size': 9 }),
    names.map((n, j) => {
      const x = left + j * cell + cell / 2;
      return label(x, top - 5, n, { 'font-size': 9, 'text-anchor': 'start', transform: `rotate(-40 ${x} ${top - 5})` });
    }),
    names.map((n, i) => label(left - 5, top + i * cell + cell / 2 + 3, n, { 'text-anchor': 'end', 'font-size': 9 })),
    label(10, top + (k * cell) / 2, 'slot A (1-40)', { transform: `rotate(-90 10 ${top + (k * cell) / 2})`, 'font-size': 9 }),
    cells,
    deltaLegend(left + 40, ly, maxAbs, 9),
  );
}
