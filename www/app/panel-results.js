// The results panel: summary, r / rho against measured values, a histogram of the
// predictions, a sortable paginated table (pages keep 100,000 rows responsive) and TSV/CSV
// downloads in the CLI's column layout. What it shows always belongs to the last Predict: an
// input without a valid sequence clears it, a failed run marks it as an earlier input's, and a
// cancelled batch shows the predictions made before the cancel, saying so.

import { backendName, download, downloadSvg, downloadTsv, fmt, fmtMs, h, messageBox, replaceChildren, s, showMessage, svgText } from './dom.js';
import { histogram, pearson, spearman } from './stats.js';

const PAGE = 100;

/**
 * Creates the results panel.
 * @param {import('./app.js').App} app
 * @returns {{element: HTMLElement}}
 */
export function createResultsPanel(app) {
  const summary = h('p', { class: 'cf-summary', text: 'No predictions yet.' });
  // Why what is shown is not (all of) the last input's predictions.
  const notice = messageBox('warning');
  notice.classList.add('cf-results-notice');
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
    notice,
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

  tsv.addEventListener('click', () => downloadTsv('camformer-predictions.tsv', delimited(results, '\t')));
  csv.addEventListener('click', () => download('camformer-predictions.csv', delimited(results, ','), 'text/csv'));
  svgButton.addEventListener('click', () => downloadSvg('camformer-histogram.svg', chart));

  const clear = (text) => {
    results = null;
    order = [];
    summary.textContent = text;
    stats.hidden = true;
    replaceChildren(chart);
    replaceChildren(table);
    pager.hidden = true;
    for (const b of [tsv, csv, svgButton]) b.disabled = true;
  };

  // The last Predict failed: the table is from the input before.
  app.addEventListener('stale', (e) => {
    if (results) showMessage(notice, `These predictions are from an earlier input: the last Predict failed (${e.detail.message}).`);
  });

  app.addEventListener('results', (e) => {
    if (!e.detail) {
      const n = app.state.parsed?.rejected?.length ?? 0;
      showMessage(notice);
      clear(`No predictions: none of the ${n.toLocaleString('en')} ${n === 1 ? 'record' : 'records'} of the last input could be read (the reasons are listed with the input).`);
      element.dataset.state = 'empty';
      return;
    }
    results = e.detail;
    const recs = results.records;
    element.dataset.state = results.cancelled ? 'cancelled' : 'done';
    showMessage(
      notice,
      results.cancelled
        ? `Cancelled after ${results.cancelled.done.toLocaleString('en')} of ${results.cancelled.total.toLocaleString('en')} sequences: the predictions made are shown; the other ${(results.cancelled.total - results.cancelled.done).toLocaleString('en')} are listed as "not predicted" in the downloads.`
        : '',
    );
    results.hasMeasured = recs.some((r) => r.value !== null && r.value !== undefined);
    order = recs.map((_, i) => i);
    sort = { key: 'number', dir: 1 };
    page = 0;
    const n = recs.length;
    const rate = results.elapsedMs > 0 ? `, ${Math.round((n / results.elapsedMs) * 1000).toLocaleString('en')} sequences/s` : '';
    const workers = results.workers > 1 ? ` (${results.workers} workers)` : '';
    summary.textContent =
      `${n.toLocaleString('en')} predicted` +
      (results.rejected.length ? `, ${results.rejected.length.toLocaleString('en')} rejected` : '') +
      (results.notPredicted?.length ? `, ${results.notPredicted.length.toLocaleString('en')} not predicted (cancelled)` : '') +
      ` in ${fmtMs(results.elapsedMs)} on the ${backendName(results.backend)}${workers}${rate}.`;
    renderStats(stats, recs);
    if (n) replaceChildren(chart, histogramSvg(recs.map((r) => r.prediction), results.units));
    else replaceChildren(chart);
    for (const b of [tsv, csv]) b.disabled = false;
    svgButton.disabled = !n;
    renderTable();
    // After Predict the results may be below the fold (a narrow window stacks the panels): bring
    // them into view, as little as needed.
    const box = summary.getBoundingClientRect();
    if (box.top > window.innerHeight - 40 || box.bottom < 0) element.scrollIntoView?.({ block: 'start', behavior: 'smooth' });
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
  const label = (x, y, text, anchor = 'middle') => svgText(x, y, text, { 'text-anchor': anchor });
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
    ...(results.notPredicted ?? []).map((r) => ({
      number: r.number,
      cells: [r.name, r.construct, 'NA', ...(results.hasMeasured ? [r.value ?? ''] : []), 'not predicted (cancelled)'],
    })),
  ].sort((a, b) => a.number - b.number);
  return [header, ...rows.map((r) => r.cells)].map((cells) => cells.map((c) => quote(String(c))).join(sep)).join('\n') + '\n';
}
