// The results panel: summary, r / rho against measured values, a histogram of the
// predictions, a sortable paginated table (pages keep 100,000 rows responsive) and TSV/CSV
// downloads in the CLI's column layout.

import { download, fmt, fmtMs, h, replaceChildren, s, serializeSvg } from './dom.js';
import { histogram, pearson, spearman } from './stats.js';

const PAGE = 100;

/**
 * Creates the results panel.
 * @param {import('./app.js').App} app
 * @returns {{element: HTMLElement}}
 */
export function createResultsPanel(app) {
  const summary = h('p', { class: 'cf-summary', text: 'No predictions yet.' });
  const stats = h('p', { class: 'cf-stats', hidden: true });
  const chart = h('div', { class: 'cf-histogram' });
  const table = h('table', { class: 'cf-table' });
  const pager = h('div', { class: 'cf-row cf-pager', hidden: true });
  const tsv = h('button', { type: 'button', text: 'Download TSV', disabled: true });
  const csv = h('button', { type: 'button', text: 'Download CSV', disabled: true });
  const svgButton = h('button', { type: 'button', text: 'Histogram SVG', disabled: true });
  const element = h(
    'div',
    { class: 'cf-results-panel' },
    h('h2', { text: 'Predictions' }),
    summary,
    stats,
    chart,
    h('div', { class: 'cf-row' }, tsv, csv, svgButton),
    h('div', { class: 'cf-table-wrap' }, table),
    pager,
  );

  let results = null;
  let order = [];
  let sort = { key: 'number', dir: 1 };
  let page = 0;

  const columns = () => [
    { key: 'number', label: '#', numeric: true },
    { key: 'name', label: 'name' },
    { key: 'construct', label: 'sequence (110-bp construct)', mono: true },
    { key: 'prediction', label: `prediction${results.units ? ` (${results.units})` : ''}`, numeric: true, digits: 4 },
    ...(results.hasMeasured ? [{ key: 'value', label: 'measured', numeric: true, digits: 4 }] : []),
    { key: 'note', label: 'note' },
  ];

  const renderTable = () => {
    const cols = columns();
    const head = h(
      'tr',
      {},
      cols.map((c) => {
        const active = sort.key === c.key;
        return h(
          'th',
          { attrs: { 'aria-sort': active ? (sort.dir > 0 ? 'ascending' : 'descending') : 'none' }, data: { key: c.key } },
          h('button', { type: 'button', class: 'cf-sort', text: `${c.label}${active ? (sort.dir > 0 ? ' ▲' : ' ▼') : ''}` }),
        );
      }),
      h('th', { text: '' }),
    );
    const start = page * PAGE;
    const rows = order.slice(start, start + PAGE).map((i) => {
      const r = results.records[i];
      return h(
        'tr',
        { data: { index: i } },
        cols.map((c) => {
          const v = c.key === 'note' ? r.notes.join('; ') : r[c.key];
          return h('td', {
            class: [c.numeric ? 'cf-num' : '', c.mono ? 'cf-seq' : '', c.key === 'note' && r.warning ? 'cf-warn' : ''].join(' ').trim(),
            text: c.digits ? fmt(v, c.digits) : v ?? '',
            title: c.mono ? r.input : undefined,
          });
        }),
        h('td', {}, h('button', { type: 'button', class: 'cf-ism-button', text: 'ISM', title: 'In-silico mutagenesis of this sequence' })),
      );
    });
    replaceChildren(table, h('thead', {}, head), h('tbody', {}, rows));
    const pages = Math.ceil(order.length / PAGE);
    pager.hidden = pages <= 1;
    if (pages > 1) {
      replaceChildren(
        pager,
        h('button', { type: 'button', text: '‹ Previous', disabled: page === 0, on: { click: () => goTo(page - 1) } }),
        h('span', { text: `rows ${start + 1}-${Math.min(start + PAGE, order.length)} of ${order.length.toLocaleString('en')}` }),
        h('button', { type: 'button', text: 'Next ›', disabled: page >= pages - 1, on: { click: () => goTo(page + 1) } }),
      );
    }
  };

  const goTo = (p) => {
    page = p;
    renderTable();
  };

  const sortBy = (key) => {
    sort = { key, dir: sort.key === key ? -sort.dir : 1 };
    const recs = results.records;
    const value = key === 'note' ? (r) => r.notes.join('; ') : (r) => r[key];
    order.sort((a, b) => {
      const va = value(recs[a]);
      const vb = value(recs[b]);
      // Missing values sort last in either direction.
      if (va === null || va === undefined) return vb === null || vb === undefined ? a - b : 1;
      if (vb === null || vb === undefined) return -1;
      const cmp = typeof va === 'number' ? va - vb : String(va).localeCompare(String(vb));
      return cmp * sort.dir || a - b;
    });
    page = 0;
    renderTable();
  };

  table.addEventListener('click', (e) => {
    const th = e.target.closest('th[data-key]');
    if (th) {
      sortBy(th.dataset.key);
      return;
    }
    const row = e.target.closest('tr[data-index]');
    if (row && e.target.closest('.cf-ism-button')) {
      const r = results.records[Number(row.dataset.index)];
      app.select({ name: r.name, sequence: r.construct });
    }
  });

  tsv.addEventListener('click', () => download('camformer-predictions.tsv', delimited(results, '\t'), 'text/tab-separated-values'));
  csv.addEventListener('click', () => download('camformer-predictions.csv', delimited(results, ','), 'text/csv'));
  svgButton.addEventListener('click', () => {
    const svgEl = chart.querySelector('svg');
    if (svgEl) download('camformer-histogram.svg', serializeSvg(svgEl), 'image/svg+xml');
  });

  app.addEventListener('results', (e) => {
    results = e.detail;
    const recs = results.records;
    results.hasMeasured = recs.some((r) => r.value !== null && r.value !== undefined);
    order = recs.map((_, i) => i);
    sort = { key: 'number', dir: 1 };
    page = 0;
    const n = recs.length;
    const rate = results.elapsedMs > 0 ? `, ${Math.round((n / results.elapsedMs) * 1000).toLocaleString('en')} sequences/s` : '';
    summary.textContent =
      `${n.toLocaleString('en')} predicted` +
      (results.rejected.length ? `, ${results.rejected.length.toLocaleString('en')} rejected` : '') +
      ` in ${fmtMs(results.elapsedMs)} on the ${results.backend === 'webgpu' ? 'GPU (WebGPU)' : 'CPU'}${rate}.`;
    renderStats(stats, recs);
    replaceChildren(chart, histogramSvg(recs.map((r) => r.prediction), results.units));
    for (const b of [tsv, csv, svgButton]) b.disabled = false;
    renderTable();
  });

  return { element };
}

function renderStats(box, recs) {
  const pairs = recs.filter((r) => r.value !== null && r.value !== undefined && Number.isFinite(r.value));
  if (pairs.length < 2) {
    box.hidden = true;
    return;
  }
  const p = pairs.map((r) => r.prediction);
  const m = pairs.map((r) => r.value);
  const r = pearson(p, m);
  const rho = spearman(p, m);
  replaceChildren(
    box,
    'Against the measured values (n = ',
    pairs.length.toLocaleString('en'),
    '): Pearson ',
    h('strong', { class: 'cf-pearson', text: `r = ${fmt(r, 3)}` }),
    ' (r² = ',
    fmt(r * r, 3),
    '), Spearman ',
    h('strong', { class: 'cf-spearman', text: `ρ = ${fmt(rho, 3)}` }),
  );
  box.hidden = false;
}

/**
 * A histogram of values as a self-contained SVG.
 * @param {number[]} values
 * @param {string} units x-axis label
 * @returns {SVGSVGElement}
 */
export function histogramSvg(values, units = '') {
  const W = 480;
  const H = 170;
  const m = { left: 40, right: 10, top: 10, bottom: 38 };
  const { min, max, counts } = histogram(values, Math.min(40, Math.max(10, Math.round(Math.sqrt(values.length)))));
  const top = Math.max(...counts, 1);
  const bw = (W - m.left - m.right) / counts.length;
  const ph = H - m.top - m.bottom;
  const bars = counts.map((c, i) =>
    s('rect', {
      x: m.left + i * bw + 0.5,
      y: m.top + ph - (c / top) * ph,
      width: Math.max(bw - 1, 0.5),
      height: (c / top) * ph,
      fill: '#4a78b5',
    }, s('title', { text: `${fmt(min + ((max - min) * i) / counts.length, 3)} to ${fmt(min + ((max - min) * (i + 1)) / counts.length, 3)}: ${c}` })),
  );
  const label = (x, y, text, anchor = 'middle') =>
    s('text', { x, y, 'font-size': 10, 'font-family': 'sans-serif', 'text-anchor': anchor, fill: '#333', text });
  return s(
    'svg',
    { viewBox: `0 0 ${W} ${H}`, class: 'cf-histogram-svg', role: 'img', 'aria-label': 'Histogram of predictions' },
    s('rect', { x: 0, y: 0, width: W, height: H, fill: '#fff' }),
    bars,
    s('line', { x1: m.left, y1: m.top + ph, x2: W - m.right, y2: m.top + ph, stroke: '#333' }),
    s('line', { x1: m.left, y1: m.top, x2: m.left, y2: m.top + ph, stroke: '#333' }),
    label(m.left, H - 24, fmt(min, 2)),
    label((m.left + W - m.right) / 2, H - 24, fmt((min + max) / 2, 2)),
    label(W - m.right, H - 24, fmt(max, 2), 'end'),
    label((m.left + W - m.right) / 2, H - 6, `prediction${units ? ` (${units})` : ''}`),
    label(m.left - 4, m.top + 8, String(top), 'end'),
    label(m.left - 4, m.top + ph, '0', 'end'),
  );
}

/** The CLI's `predict` table (input order, rejected records with NA and the reason). */
function delimited(results, sep) {
  const quote =
    sep === ','
      ? (v) => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)
      : (v) => String(v).replace(/[\t\n\r]/g, ' ');
  const header = ['name', 'sequence', 'prediction', ...(results.hasMeasured ? ['measured'] : []), 'note'];
  const rows = [
    ...results.records.map((r) => ({
      number: r.number,
      cells: [r.name, r.construct, r.prediction.toFixed(6), ...(results.hasMeasured ? [r.value ?? ''] : []), r.notes.join('; ')],
    })),
    ...results.rejected.map((r) => ({
      number: r.number,
      cells: [r.name, '', 'NA', ...(results.hasMeasured ? [''] : []), `error: ${r.message}`],
    })),
  ].sort((a, b) => a.number - b.number);
  return [header, ...rows.map((r) => r.cells)].map((cells) => cells.map((c) => quote(String(c))).join(sep)).join('\n') + '\n';
}
