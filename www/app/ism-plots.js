// SVG figures for in-silico mutagenesis: a sequence logo of per-position importance over a
// 4 x width heatmap of mutation effects (with an optional motif track above), and the
// mutational trajectory chart; also the pieces the other figures share (logo letters, the
// diverging delta colours and their scale). All styling is in attributes so the SVG exports
// stand alone (SVG and PNG files look like the page).

import { fmt, fmtSigned, s, svgText, tsv } from './dom.js';

/** Row order of the ISM matrix. */
export const BASES = ['A', 'C', 'G', 'T'];

/** Logo colours: A green, C blue, G orange, T red. */
export const BASE_COLORS = { A: '#109648', C: '#255c99', G: '#f59d00', T: '#d62839', N: '#888888' };

// Letter outlines in a unit box (x right, y down), so the logo does not depend on fonts and a
// letter's height is exactly its importance.
export const GLYPHS = {
  A: 'M0,1 L0.39,0 L0.61,0 L1,1 L0.78,1 L0.69,0.75 L0.31,0.75 L0.22,1 Z M0.37,0.58 L0.63,0.58 L0.5,0.22 Z',
  C: 'M0.93,0.28 A0.5,0.5 0 1 0 0.93,0.72 L0.76,0.63 A0.31,0.33 0 1 1 0.76,0.37 Z',
  G: 'M0.93,0.28 A0.5,0.5 0 1 0 0.99,0.62 L0.99,0.46 L0.56,0.46 L0.56,0.6 L0.79,0.6 A0.31,0.33 0 1 1 0.76,0.37 Z',
  T: 'M0,0 L1,0 L1,0.17 L0.59,0.17 L0.59,1 L0.41,1 L0.41,0.17 L0,0.17 Z',
  N: 'M0,1 L0,0 L0.2,0 L0.8,0.7 L0.8,0 L1,0 L1,1 L0.8,1 L0.2,0.3 L0.2,1 Z',
};

/**
 * Per-position importance: prediction(reference) - mean prediction of its three mutants,
 * i.e. minus the mean of the column's deltas. Positive: the reference base helps expression.
 * @param {{width: number, matrix: ArrayLike<number>, construct: string, start: number}} ism
 * @returns {Float64Array}
 */
export function importance(ism) {
  const out = new Float64Array(ism.width);
  for (let j = 0; j < ism.width; j++) {
    const ref = ism.construct[ism.start + j];
    let sum = 0;
    let n = 0;
    for (let b = 0; b < 4; b++) {
      if (BASES[b] === ref) continue;
      sum += ism.matrix[b * ism.width + j];
      n++;
    }
    out[j] = n ? -sum / n : 0;
  }
  return out;
}

/** Diverging colour for a delta: blue (down) - white - red (up). */
export function deltaColor(delta, maxAbs) {
  const t = maxAbs > 0 ? Math.max(-1, Math.min(1, delta / maxAbs)) : 0;
  const [r, g, b] = t < 0 ? mix([255, 255, 255], [33, 102, 172], -t) : mix([255, 255, 255], [178, 24, 43], t);
  return `rgb(${r},${g},${b})`;
}

function mix(a, b, t) {
  return a.map((v, i) => Math.round(v + (b[i] - v) * t));
}

/** Swatches in a colour scale (deltaLegend). */
const LEGEND_STEPS = 21;

/**
 * The colour scale of deltaColor: swatches `lw` px wide from −maxAbs to +maxAbs starting at
 * (x, y), with the two ends labelled.
 * @param {number} x
 * @param {number} y
 * @param {number} maxAbs
 * @param {number} [lw]
 * @returns {Array<SVGElement|SVGElement[]>} children for s()
 */
export function deltaLegend(x, y, maxAbs, lw = 8) {
  return [
    Array.from({ length: LEGEND_STEPS }, (_, i) =>
      s('rect', { x: x + i * lw, y, width: lw, height: 9, fill: deltaColor(-maxAbs + (2 * maxAbs * i) / (LEGEND_STEPS - 1), maxAbs) })),
    svgText(x - 4, y + 8, `−${fmt(maxAbs, 3)}`, { 'text-anchor': 'end', 'font-size': 9 }),
    svgText(x + LEGEND_STEPS * lw + 4, y + 8, `+${fmt(maxAbs, 3)}`, { 'text-anchor': 'start', 'font-size': 9 }),
  ];
}

/** Width in px of deltaLegend's swatches. */
export function legendWidth(lw = 8) {
  return LEGEND_STEPS * lw;
}

/**
 * A logo's vertical layout: `scale` (px per unit) and the `axis` y that fit the tallest letter
 * above the axis and the tallest below it into `height` px from `top`.
 * @param {ArrayLike<number>} values per position, negative below the axis
 * @param {number} top
 * @param {number} height
 * @param {number} floor the smallest span scaled to `height` (keeps an all-zero logo finite)
 * @returns {{scale: number, axis: number}}
 */
export function logoLayout(values, top, height, floor) {
  const up = Math.max(0, ...values);
  const down = Math.max(0, ...Array.from(values, (v) => -v));
  const scale = height / Math.max(up + down, floor);
  return { scale, axis: top + up * scale };
}

/**
 * One letter of a logo: `base` in a column `cw` px wide at `x`, `value * scale` px tall, above
 * the axis when the value is positive and flipped below it when negative; null when too small
 * to see.
 * @param {string} base
 * @param {{x: number, axis: number, value: number, scale: number, cw: number}} at
 * @param {object} attrs class and data attributes
 * @param {string} title the tooltip
 * @returns {SVGPathElement|null}
 */
export function logoLetter(base, { x, axis, value, scale, cw }, attrs, title) {
  const height = Math.abs(value) * scale;
  if (height < 0.05) return null;
  const transform =
    value >= 0
      ? `translate(${fmt(x, 2)} ${fmt(axis - height, 2)}) scale(${cw - 1} ${fmt(height, 3)})`
      : `translate(${fmt(x, 2)} ${fmt(axis + height, 2)}) scale(${cw - 1} ${fmt(-height, 3)})`;
  return s('path', { d: GLYPHS[base] ?? GLYPHS.N, fill: BASE_COLORS[base] ?? BASE_COLORS.N, 'fill-rule': 'evenodd', transform, ...attrs }, s('title', { text: title }));
}

/**
 * The ISM figure: logo on top, heatmap below, colour scale, position axis.
 * Heatmap cells carry data-pos (0-based construct position), data-alt, data-delta; reference
 * cells carry data-ref and a dot.
 * @param {{construct: string, reference: number, start: number, width: number, matrix: ArrayLike<number>}} ism
 * @param {{title?: string, changed?: Set<number>, motifs?: {hits: object[], note: string, hint?: string, pending?: boolean}|null, interactive?: boolean, sequence?: string|null}} [options]
 *   `changed`: positions mutated so far; `motifs`: a motif track above the logo (see motifTrack);
 *   `interactive`: the on-screen figure, with how to use it (clicks, hovers); an exported file
 *   is not interactive and says none of that; `sequence`: a line naming the sequence (exports)
 * @returns {SVGSVGElement}
 */
export function ismFigure(ism, { title = '', changed = new Set(), motifs = null, interactive = true, sequence = null } = {}) {
  const cw = 10;
  const ch = 14;
  const left = 30;
  const right = 12;
  const W = left + ism.width * cw + right;
  // An exported figure names its sequence under the title, so the file says what it shows.
  const head = sequence ? 13 : 0;
  const track = motifs ? motifTrack(motifs.hits, { left, cw, start: ism.start, width: ism.width, top: 34 + head, pending: motifs.pending, interactive }) : null;
  const logoTop = track ? 34 + head + track.height + 8 : 26 + head;
  const logoH = 110;
  const heatTop = logoTop + logoH + 18;
  const H = heatTop + 4 * ch + 64;
  const imp = importance(ism);
  const maxAbs = Math.max(1e-9, ...Array.from(ism.matrix, Math.abs));

  // Logo: the reference letter at each position, above the axis when it helps, flipped below
  // when it hurts; shared scale so heights compare across positions.
  const { scale, axis } = logoLayout(imp, logoTop, logoH, 1e-9);
  const letters = Array.from(imp, (value, j) => {
    const base = ism.construct[ism.start + j];
    return logoLetter(base, { x: left + j * cw + 0.5, axis, value, scale, cw }, { class: 'cf-logo-letter', 'data-pos': ism.start + j }, `${base}${ism.start + j + 1}: importance ${fmt(value, 4)}`);
  });
  const marks = [...changed]
    .filter((p) => p >= ism.start && p < ism.start + ism.width)
    .map((p) => s('path', { d: `M${left + (p - ism.start) * cw + cw / 2},${heatTop - 3} l-3,-6 l6,0 Z`, fill: '#000', class: 'cf-changed' },
      s('title', { text: `position ${p + 1} mutated` })));

  const cells = [];
  for (let b = 0; b < 4; b++) {
    for (let j = 0; j < ism.width; j++) {
      const pos = ism.start + j;
      const ref = ism.construct[pos];
      const x = left + j * cw;
      const y = heatTop + b * ch;
      const delta = ism.matrix[b * ism.width + j];
      if (BASES[b] === ref) {
        cells.push(
          s('rect', { x, y, width: cw, height: ch, fill: '#ffffff', stroke: '#bbbbbb', 'stroke-width': 0.3, class: 'cf-cell cf-ref', 'data-pos': pos, 'data-ref': ref },
            s('title', { text: `${ref}${pos + 1} (reference)` })),
          s('circle', { cx: x + cw / 2, cy: y + ch / 2, r: 1.8, fill: '#333', 'pointer-events': 'none' }),
        );
      } else {
        cells.push(
          s('rect', { x, y, width: cw, height: ch, fill: deltaColor(delta, maxAbs), stroke: '#ffffff', 'stroke-width': 0.3, class: 'cf-cell cf-mut', 'data-pos': pos, 'data-alt': BASES[b], 'data-delta': String(delta) },
            s('title', { text: `${ref}${pos + 1}${BASES[b]}: ${fmtSigned(delta)}${interactive ? ' (click to apply)' : ''}` })),
        );
      }
    }
  }

  const ticks = [];
  for (let j = 0; j < ism.width; j++) {
    const pos = ism.start + j + 1;
    // Every 10th position, and the first unless it would crowd the next label.
    if (pos % 10 === 0 || (j === 0 && 10 - (pos % 10) >= 4)) ticks.push(svgText(left + j * cw + cw / 2, heatTop + 4 * ch + 12, String(pos)));
  }
  const rowLabels = BASES.map((b, i) => svgText(left - 8, heatTop + i * ch + ch / 2 + 4, b, { 'font-weight': 'bold', fill: BASE_COLORS[b] }));

  // Colour scale.
  const legendY = heatTop + 4 * ch + 24;
  const legendX = W - right - legendWidth() - 40;

  return s(
    'svg',
    { viewBox: `0 0 ${W} ${H}`, class: 'cf-ism-svg', role: 'img', 'aria-label': `ISM heatmap and logo ${title}` },
    s('rect', { x: 0, y: 0, width: W, height: H, fill: '#ffffff' }),
    svgText(left, 14, `${title ? `${title} · ` : ''}reference prediction ${fmt(ism.reference, 4)} · importance = reference − mean(mutants)`, { 'text-anchor': 'start', 'font-size': 11 }),
    sequence && svgText(left, 26, `sequence ${sequence}`, { 'text-anchor': 'start', 'font-size': 8, 'font-family': 'monospace', class: 'cf-figure-sequence' }),
    track && [svgText(left, 29 + head, interactive && motifs.hint ? `${motifs.note}; ${motifs.hint}` : motifs.note, { 'text-anchor': 'start', 'font-size': 9, fill: '#5a6472' }), track.group],
    s('line', { x1: left, y1: axis, x2: left + ism.width * cw, y2: axis, stroke: '#999', 'stroke-width': 0.5 }),
    s('g', { class: 'cf-logo' }, letters),
    marks,
    s('g', { class: 'cf-heatmap' }, cells),
    rowLabels,
    ticks,
    svgText(left, legendY + 8, `position in the 110-bp construct; dot = reference base${interactive ? '; click a cell to apply that mutation' : ''}`, { 'text-anchor': 'start', 'font-size': 9 }),
    deltaLegend(legendX, legendY, maxAbs),
    svgText(legendX + legendWidth() / 2, legendY + 22, 'Δ prediction (mutant − reference)', { 'font-size': 9 }),
  );
}

/**
 * The trajectory chart: the prediction after each applied mutation.
 * @param {Array<{label: string, reference: number|null}>} steps
 * @returns {SVGSVGElement}
 */
export function trajectorySvg(steps) {
  const W = 480;
  const H = 130;
  const m = { left: 44, right: 12, top: 12, bottom: 26 };
  const values = steps.map((st) => st.reference).filter((v) => v !== null && v !== undefined);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const span = hi - lo || 1;
  const x = (i) => m.left + (steps.length > 1 ? (i * (W - m.left - m.right)) / (steps.length - 1) : (W - m.left - m.right) / 2);
  const y = (v) => m.top + (1 - (v - lo) / span) * (H - m.top - m.bottom);
  const pts = steps.map((st, i) => (st.reference === null || st.reference === undefined ? null : [x(i), y(st.reference), st, i])).filter(Boolean);
  const label = (px, py, t, anchor = 'middle') => svgText(px, py, t, { 'font-size': 9, 'text-anchor': anchor });
  return s(
    'svg',
    { viewBox: `0 0 ${W} ${H}`, class: 'cf-trajectory-svg', role: 'img', 'aria-label': 'Prediction along the mutational trajectory' },
    s('rect', { x: 0, y: 0, width: W, height: H, fill: '#fff' }),
    s('line', { x1: m.left, y1: H - m.bottom, x2: W - m.right, y2: H - m.bottom, stroke: '#333' }),
    s('line', { x1: m.left, y1: m.top, x2: m.left, y2: H - m.bottom, stroke: '#333' }),
    label(m.left - 4, m.top + 4, fmt(hi, 3), 'end'),
    label(m.left - 4, H - m.bottom, fmt(lo, 3), 'end'),
    s('polyline', { points: pts.map(([px, py]) => `${fmt(px, 2)},${fmt(py, 2)}`).join(' '), fill: 'none', stroke: '#4a78b5', 'stroke-width': 1.5 }),
    pts.map(([px, py, st, i]) =>
      s('circle', { cx: px, cy: py, r: 3, fill: i === steps.length - 1 ? '#d62839' : '#4a78b5' }, s('title', { text: `${st.label}: ${fmt(st.reference, 4)}` }))),
    pts.map(([px, , st, i]) => label(px, H - m.bottom + 12, i === 0 ? 'start' : st.label.length > 10 ? `#${i}` : st.label)),
  );
}

/**
 * The ISM result as the CLI's long TSV (1-based construct positions).
 * @param {{construct: string, start: number, width: number, matrix: ArrayLike<number>}} ism
 * @param {string} name
 * @returns {string}
 */
export function ismTsv(ism, name) {
  const rows = [['name', 'position', 'ref', 'alt', 'delta']];
  const safe = String(name).replace(/[\t\n\r]/g, ' ');
  for (let j = 0; j < ism.width; j++) {
    const pos = ism.start + j;
    const ref = ism.construct[pos];
    for (let b = 0; b < 4; b++) {
      if (BASES[b] === ref) continue;
      rows.push([safe, pos + 1, ref, BASES[b], Number(ism.matrix[b * ism.width + j]).toFixed(6)]);
    }
  }
  return tsv(rows);
}

/**
 * The mutant deltas of an ISM result (reference cells left out), in matrix order.
 * @param {{construct: string, start: number, width: number, matrix: ArrayLike<number>}} ism
 * @returns {number[]}
 */
export function mutantDeltas(ism) {
  const out = [];
  for (let b = 0; b < 4; b++) {
    for (let j = 0; j < ism.width; j++) {
      if (BASES[b] !== ism.construct[ism.start + j]) out.push(Number(ism.matrix[b * ism.width + j]));
    }
  }
  return out;
}

/**
 * A histogram of the ISM deltas with the robustness band (|delta| < threshold) shaded; bars
 * inside the band grey, outside red (up) or blue (down). Bars carry data-count, data-lo, data-hi.
 * @param {ArrayLike<number>} deltas
 * @param {number} threshold
 * @returns {SVGSVGElement}
 */
export function deltaHistogramSvg(deltas, threshold) {
  const W = 480;
  const H = 170;
  const m = { left: 40, right: 10, top: 10, bottom: 38 };
  const values = Array.from(deltas);
  // Symmetric around 0 and wide enough to show the band.
  const reach = Math.max(threshold * 1.25, ...values.map(Math.abs), 1e-6);
  const bins = 41;
  const width = (2 * reach) / bins;
  const counts = new Array(bins).fill(0);
  for (const v of values) counts[Math.max(0, Math.min(bins - 1, Math.floor((v + reach) / width)))]++;
  const top = Math.max(...counts, 1);
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const x = (v) => m.left + ((v + reach) / (2 * reach)) * pw;
  const bw = pw / bins;
  const label = (px, py, text, anchor = 'middle') => svgText(px, py, text, { 'text-anchor': anchor });
  const bars = counts.map((c, i) => {
    const lo = -reach + i * width;
    const hi = lo + width;
    const mid = (lo + hi) / 2;
    const fill = Math.abs(mid) < threshold ? '#9aa5b1' : mid > 0 ? '#b2182b' : '#2166ac';
    return s(
      'rect',
      { x: m.left + i * bw + 0.5, y: m.top + ph - (c / top) * ph, width: Math.max(bw - 1, 0.5), height: (c / top) * ph, fill, class: 'cf-delta-bar', 'data-count': c, 'data-lo': lo, 'data-hi': hi },
      s('title', { text: `${fmt(lo, 3)} to ${fmt(hi, 3)}: ${c} mutants` }),
    );
  });
  const bandLeft = x(-threshold);
  const bandRight = x(threshold);
  return s(
    'svg',
    { viewBox: `0 0 ${W} ${H}`, class: 'cf-delta-histogram-svg', role: 'img', 'aria-label': `Histogram of ISM deltas, robustness band ±${threshold}` },
    s('rect', { x: 0, y: 0, width: W, height: H, fill: '#fff' }),
    s('rect', { x: bandLeft, y: m.top, width: Math.max(0, bandRight - bandLeft), height: ph, fill: '#eef1f5', class: 'cf-band' },
      s('title', { text: `robust: |Δ| < ${threshold}` })),
    bars,
    s('line', { x1: bandLeft, y1: m.top, x2: bandLeft, y2: m.top + ph, stroke: '#5a6472', 'stroke-dasharray': '3 2' }),
    s('line', { x1: bandRight, y1: m.top, x2: bandRight, y2: m.top + ph, stroke: '#5a6472', 'stroke-dasharray': '3 2' }),
    s('line', { x1: m.left, y1: m.top + ph, x2: W - m.right, y2: m.top + ph, stroke: '#333' }),
    s('line', { x1: m.left, y1: m.top, x2: m.left, y2: m.top + ph, stroke: '#333' }),
    label(m.left, H - 24, fmt(-reach, 2)),
    label(x(0), H - 24, '0'),
    label(W - m.right, H - 24, fmt(reach, 2), 'end'),
    label(bandLeft, m.top + 9, `−${threshold}`, 'end'),
    label(bandRight, m.top + 9, `+${threshold}`, 'start'),
    label((m.left + W - m.right) / 2, H - 6, 'Δ prediction of the single mutants (band: robust, |Δ| < threshold)'),
    label(m.left - 4, m.top + 8, String(top), 'end'),
    label(m.left - 4, m.top + ph, '0', 'end'),
  );
}

/** Fill colours of motif boxes, chosen by motif id. */
const MOTIF_COLORS = ['#cfe3f7', '#fde2c4', '#d6efd0', '#f3d3e6', '#e4dcf5', '#fbf0b8', '#cdeeee', '#f4d6d0'];

function colorOf(id) {
  let hash = 0;
  for (const c of String(id)) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  return MOTIF_COLORS[hash % MOTIF_COLORS.length];
}

/**
 * A track of motif hits aligned with `width` columns of `cw` px from construct position
 * `start` (0-based): each hit an arrow-shaped box pointing along its strand, labelled with its
 * name, in as many lanes as overlaps need (at most 6). Hits carry `from`/`to`: 0-based
 * construct start, exclusive end. Groups `g.cf-hit` carry the hit in data-* attributes; the
 * track carries data-state ('scanning' while `pending`, else 'done'), data-hits, data-shown.
 * @returns {{group: SVGGElement, height: number, shown: number}}
 */
export function motifTrack(hits, { left, cw, start, width, top, pending = false, interactive = true }) {
  const lanes = [];
  const boxes = [];
  const sorted = [...hits].sort((x, y) => x.from - y.from || x.pValue - y.pValue);
  for (const hit of sorted) {
    const a = Math.max(hit.from, start);
    const b = Math.min(hit.to, start + width);
    if (b <= a) continue;
    let lane = lanes.findIndex((end) => end <= a);
    if (lane < 0) {
      if (lanes.length >= 6) continue;
      lane = lanes.push(0) - 1;
    }
    lanes[lane] = b;
    boxes.push({ hit, a, b, lane });
  }
  const laneH = 15;
  const items = boxes.map(({ hit, a, b, lane }) => {
    const x = left + (a - start) * cw;
    const w = (b - a) * cw;
    const y = top + lane * laneH;
    const tip = Math.min(4, w / 3);
    const d =
      hit.strand === '-'
        ? `M${x + w},${y} h${-(w - tip)} l${-tip},6 l${tip},6 h${w - tip} Z`
        : `M${x},${y} h${w - tip} l${tip},6 l${-tip},6 h${-(w - tip)} Z`;
    const name = [hit.altId, hit.motifId].find((t) => t && t.length * 5.3 < w - 2 * tip - 2) ?? '';
    return s(
      'g',
      {
        class: 'cf-hit',
        'data-motif': hit.motifId,
        'data-start': hit.from + 1,
        'data-end': hit.to,
        'data-strand': hit.strand,
        'data-p-value': String(hit.pValue),
        'data-score': String(hit.score),
        'data-matched': hit.matched,
      },
      s('title', {
        text: `${hit.motifId}${hit.altId ? ` ${hit.altId}` : ''} (${hit.strand} strand), construct ${hit.from + 1}-${hit.to}\nscore ${fmt(hit.score, 2)}, p = ${hit.pValue.toExponential(2)}\nmatched ${hit.matched}${interactive ? '\nclick: ablate it in the Motifs panel' : ''}`,
      }),
      s('path', { d, fill: colorOf(hit.motifId), stroke: '#5a6472', 'stroke-width': 0.6 }),
      name && s('text', { x: x + (hit.strand === '-' ? tip + (w - tip) / 2 : (w - tip) / 2), y: y + 9.5, 'font-size': 9, 'font-family': 'sans-serif', 'text-anchor': 'middle', fill: '#1d2433', 'pointer-events': 'none', text: name }),
    );
  });
  const height = Math.max(1, lanes.length) * laneH;
  return {
    group: s('g', { class: 'cf-motif-track', 'data-state': pending ? 'scanning' : 'done', 'data-hits': hits.length, 'data-shown': boxes.length }, s('rect', { x: left, y: top - 2, width: width * cw, height: height + 1, fill: '#f7f9fc' }), items),
    height,
    shown: boxes.length,
  };
}
