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

  /** The motifs a query names: the one with that id, else every motif with that name. */
  candidates(query) {
    const q = String(query).trim().split(/\s+/)[0]?.toUpperCase() ?? '';
    const list = this.list ?? [];
    const byId = list.find((m) => m.id.toUpperCase() === q);
    if (byId) return [byId];
    return list.filter((m) => (m.altId ?? '').toUpperCase() === q);
  }

  /** Finds a motif by id, or by name when that is unique. */
  find(query) {
    const found = this.candidates(query);
    return found.length === 1 ? found[0] : null;
  }

  /**
   * Why a query names no single motif: none has that id or name, or several share the name
   * (JASPAR keeps versions of a motif under one name, e.g. UME6: MA0412.1, .2, .3).
   */
  whyNot(query) {
    const found = this.candidates(query);
    const name = String(query).trim();
    if (found.length > 1) {
      return `'${name}' is ambiguous: ${found.map((m) => m.id).join(', ')} share that name; give one of these ids`;
    }
    return `no motif '${name}' in the ${this.text ? 'loaded' : 'shipped'} motifs (give an id such as MA0320.1, or a name that is unique)`;
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
