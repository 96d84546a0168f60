// The model panel: what the loaded model is (from its manifest), and loading other weights
// (a .safetensors file, optionally with its manifest.json), kept in IndexedDB for offline use.

import { assets } from './assets.js';
import { choice, h, messageBox, replaceChildren, showMessage } from './dom.js';
import { cpuName } from './panel-status.js';
import { BACKEND } from './protocol.js';
import * as store from './store.js';

/**
 * Creates the model panel.
 * @param {import('./app.js').App} app
 * @returns {{element: HTMLElement}}
 */
export function createModelPanel(app) {
  const card = h('div', { class: 'cf-model-card', text: 'Loading…' });
  const files = h('input', { type: 'file', class: 'cf-weights-files', multiple: true, accept: '.safetensors,.json' });
  const arch = choice('cf-arch', 'Architecture when there is no manifest', [
    ['', 'architecture: from the manifest, or detected'],
    ['mini', 'Camformer Mini'],
    ['original', 'Camformer Original'],
  ]);
  const load = h('button', { type: 'button', class: 'cf-load-weights', text: 'Load weights' });
  const error = messageBox('error');
  const note = messageBox('note');
  const stored = h('ul', { class: 'cf-stored' });

  const element = h(
    'div',
    { class: 'cf-model-panel' },
    h('h2', { text: 'Model' }),
    card,
    h('h3', { text: 'Load other weights' }),
    h('p', {
      class: 'cf-hint',
      text: 'A .safetensors file in the authors’ state_dict layout (for example their converted checkpoints), with its manifest.json if you have it. The files are read here and kept in this browser for offline use; they are not uploaded.',
    }),
    h('div', { class: 'cf-row' }, files, arch, load),
    error,
    note,
    h('h3', { text: 'Models in this browser' }),
    stored,
  );

  const refreshStored = async () => {
    const list = await store.listModels();
    const active = await store.getActiveId();
    const item = (label, id, isActive, size) =>
      h(
        'li',
        { class: isActive ? 'cf-current' : '' },
        h('span', { text: label }),
        size ? h('span', { class: 'cf-hint', text: ` (${(size / 1e6).toFixed(1)} MB)` }) : null,
        isActive ? h('span', { class: 'cf-badge', text: 'in use' }) : h('button', { type: 'button', text: 'Use', on: { click: () => use(id) } }),
        id ? h('button', { type: 'button', text: 'Forget', on: { click: () => forget(id) } }) : null,
      );
    replaceChildren(
      stored,
      item('Built-in model', null, !active, 0),
      list.map((m) => item(m.name, m.id, m.id === active, m.size)),
    );
  };

  const use = async (id) => {
    showMessage(error);
    try {
      await app.useStoredModel(id);
      showMessage(note, 'Model loaded. Predict again to use it.');
    } catch (err) {
      showMessage(error, app.reportError(err, 'model'));
    }
    refreshStored();
  };

  const forget = async (id) => {
    try {
      const wasActive = (await store.getActiveId()) === id;
      await store.deleteModel(id);
      if (wasActive) await app.useStoredModel(null);
    } catch (err) {
      showMessage(error, app.reportError(err, 'model'));
    }
    refreshStored();
  };

  load.addEventListener('click', async () => {
    showMessage(error);
    showMessage(note);
    const chosen = [...(files.files ?? [])];
    const weights = chosen.find((f) => /\.safetensors$/i.test(f.name));
    const manifest = chosen.find((f) => /\.json$/i.test(f.name));
    if (!weights) {
      showMessage(error, 'Choose a .safetensors file (and optionally its manifest.json).');
      return;
    }
    load.disabled = true;
    try {
      const manifestText = manifest ? await manifest.text() : null;
      let name = weights.name;
      try {
        name = JSON.parse(manifestText ?? 'null')?.name ?? name;
      } catch {
        // The worker reports invalid manifest JSON with its own message.
      }
      await app.loadUserModel({ weights: await weights.arrayBuffer(), manifest: manifestText, arch: arch.value || null, name });
      showMessage(note, 'Model loaded and kept in this browser. Predict again to use it.');
      files.value = '';
    } catch (err) {
      // The previous model stays loaded and usable.
      showMessage(error, `${weights.name}: ${app.reportError(err, 'model')}`);
    } finally {
      load.disabled = false;
      refreshStored();
    }
  });

  app.addEventListener('model', (e) => {
    renderCard(card, e.detail);
    refreshStored();
  });

  return { element };
}

function renderCard(card, info) {
  const m = info.manifest ?? {};
  const arch = m.architecture ?? {};
  const rows = [
    ['Name', m.name],
    ['Description', m.description],
    ['Architecture', arch.name],
    ['Parameters', info.parameterCount?.toLocaleString('en')],
    ['Weights', m.weights ? `${m.weights.dtype ?? ''}${m.weights.sha256 ? `, sha256 ${m.weights.sha256.slice(0, 16)}…` : ''}` : null],
    ['Output', m.output ? `${m.output.units}${m.output.description ? ` (${m.output.description})` : ''}` : null],
    ['Backend', `${info.backend === BACKEND.webgpu ? 'WebGPU' : cpuName(info)}${assets.gpuMissing ? ` (${assets.gpuMissing})` : ''}`],
  ].filter(([, v]) => v !== undefined && v !== null && v !== '');
  replaceChildren(
    card,
    h('dl', { class: 'cf-facts' }, rows.map(([k, v]) => [h('dt', { text: k }), h('dd', { text: v, class: `cf-fact-${k.toLowerCase()}` })])),
    isEmpty(m.training) ? null : h('details', {}, h('summary', { text: 'Training data and procedure' }), tree(m.training)),
    isEmpty(m.metrics) ? null : h('details', { open: true }, h('summary', { text: 'Metrics' }), tree(m.metrics)),
  );
}

function isEmpty(v) {
  return v === null || v === undefined || (typeof v === 'object' && Object.keys(v).length === 0);
}

/** Free-form manifest JSON as nested definition lists. */
function tree(value, depth = 0) {
  if (value === null || typeof value !== 'object') return h('span', { text: formatLeaf(value) });
  if (Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object')) {
    return h('span', { text: value.map(formatLeaf).join(', ') });
  }
  if (depth > 3) return h('code', { text: JSON.stringify(value) });
  // Several records with scalar fields (e.g. the published models' metrics on the same rows)
  // read best as one table: a row per record, a column per field.
  if (isTable(value)) {
    const records = Object.values(value);
    const columns = [...new Set(records.flatMap((r) => Object.keys(r)))];
    return h('div', { class: 'cf-tree-wrap' }, h(
      'table',
      { class: 'cf-table cf-tree-table' },
      h('thead', {}, h('tr', {}, [h('th', { text: '' }), ...columns.map((c) => h('th', { text: c.replace(/_/g, ' ') }))])),
      h('tbody', {}, Object.entries(value).map(([k, r]) =>
        h('tr', {}, [h('th', { text: k.replace(/_/g, ' ') }), ...columns.map((c) => h('td', { class: 'cf-num', text: c in r ? formatLeaf(r[c]) : '' }))]))),
    ));
  }
  return h(
    'dl',
    { class: 'cf-tree' },
    Object.entries(value).map(([k, v]) => {
      // A table gets the full width; a nested list its own line on a narrow screen (style.css).
      const nested = v !== null && typeof v === 'object' && !Array.isArray(v);
      const cls = isTable(v) ? { class: 'cf-wide' } : nested ? { class: 'cf-nested' } : {};
      return [h('dt', { ...cls, text: k.replace(/_/g, ' ') }), h('dd', cls, tree(v, depth + 1))];
    }),
  );
}

/** Whether `tree` shows `value` as a table: several records with scalar fields. */
function isTable(value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const records = Object.values(value);
  return records.length > 1 && records.every(isScalarRecord);
}

/** A plain object whose fields are all numbers, strings, booleans or null. */
function isScalarRecord(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => x === null || typeof x !== 'object');
}

function formatLeaf(v) {
  if (typeof v === 'number' && !Number.isInteger(v)) return String(Number(v.toPrecision(4)));
  if (typeof v === 'number') return v.toLocaleString('en');
  return String(v);
}
