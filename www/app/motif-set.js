// The motif set shared by the ISM panel's motif track and the Motifs panel: the shipped JASPAR
// 2024 CORE fungi set with the paper's IME1/UME6 motifs, or a MEME file the user loaded (kept
// in IndexedDB, like user weights). A change is announced with the app's `motifs` event.

import { h, messageBox, showMessage } from './dom.js';
import { JOB } from './protocol.js';
import * as store from './store.js';

const KEY = 'motifs';

/**
 * The app's motif set (one per app).
 * @param {import('./app.js').App} app
 * @returns {MotifSet}
 */
export function motifSet(app) {
  app.motifSet ??= new MotifSet(app);
  return app.motifSet;
}

class MotifSet {
  constructor(app) {
    this.app = app;
    /** The user's file name and MEME text; null: the shipped set. */
    this.name = null;
    this.text = null;
    /** [{index, id, altId, width, consensus}] once known. */
    this.list = null;
    this.restored = store.getSetting(KEY).then((saved) => {
      if (saved?.text) Object.assign(this, { name: saved.name, text: saved.text });
    });
    app.addEventListener('model', () => this.refresh());
  }

  /** Lists the motifs of the current set (after a model load); a stored file that fails is dropped. */
  async refresh() {
    await this.restored;
    try {
      this.list = (await this.app.job(JOB.motifList, { motifs: this.text }, { quiet: true })).result;
    } catch (err) {
      if (!this.text) return;
      this.app.status(`The motif file kept in this browser (${this.name}) did not load (${err.message}); using the shipped motifs.`, 'warning');
      await this.reset();
      return;
    }
    this.#announce();
  }

  /** Uses a MEME file's text; throws (nothing changes) when it does not parse. */
  async use(name, text) {
    const list = (await this.app.job(JOB.motifList, { motifs: text }, { quiet: true })).result;
    if (!list.length) throw new Error(`${name}: no motifs in this file`);
    Object.assign(this, { name, text, list });
    const kept = await store.setSetting(KEY, { name, text });
    this.#announce();
    return kept;
  }

  /** Back to the shipped motifs. */
  async reset() {
    Object.assign(this, { name: null, text: null });
    await store.setSetting(KEY, null);
    await this.refresh();
  }

  /** Finds a motif by id, or by name when that is unique. */
  find(query) {
    const q = String(query).trim().split(/\s+/)[0]?.toUpperCase() ?? '';
    const list = this.list ?? [];
    const byId = list.find((m) => m.id.toUpperCase() === q);
    if (byId) return byId;
    const byName = list.filter((m) => (m.altId ?? '').toUpperCase() === q);
    return byName.length === 1 ? byName[0] : null;
  }

  describe() {
    const n = this.list ? ` (${this.list.length} motifs)` : '';
    return this.text ? `your file ${this.name}${n}` : `shipped: JASPAR 2024 CORE fungi + the paper's IME1/UME6${n}`;
  }

  #announce() {
    this.app.dispatchEvent(new CustomEvent('motifs', { detail: this }));
  }
}

/**
 * The motif set's control: which set is used, load a MEME file, back to the shipped set.
 * @param {import('./app.js').App} app
 * @returns {HTMLElement}
 */
export function motifSetControl(app) {
  const set = motifSet(app);
  const name = h('span', { class: 'cf-motif-set-name', text: 'motifs: loading…' });
  const file = h('input', { type: 'file', class: 'cf-motif-file', accept: '.meme,.txt,text/*', hidden: true });
  const load = h('button', { type: 'button', class: 'cf-motif-load', text: 'MEME file…', title: 'Use your own motifs (MEME format); kept in this browser, not uploaded' });
  const reset = h('button', { type: 'button', class: 'cf-motif-reset', text: 'Shipped motifs', hidden: true });
  const error = messageBox('error');
  const show = () => {
    name.textContent = `motifs: ${set.describe()}`;
    reset.hidden = !set.text;
  };
  app.addEventListener('motifs', show);
  load.addEventListener('click', () => file.click());
  file.addEventListener('change', async () => {
    const f = file.files?.[0];
    if (!f) return;
    showMessage(error);
    try {
      if (!(await set.use(f.name, await f.text()))) app.status('Motifs loaded, but they could not be kept in this browser.', 'warning');
    } catch (err) {
      showMessage(error, `${f.name}: ${app.reportError(err, 'motifs')}`);
    }
    file.value = '';
  });
  reset.addEventListener('click', () => set.reset());
  return h('div', { class: 'cf-motif-set' }, h('div', { class: 'cf-row' }, name, load, reset, file), error);
}
