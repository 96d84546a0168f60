// User-loaded model weights and motif files, kept in IndexedDB so they work offline on the next visit.
// IndexedDB can be missing or refused (private windows, some file:// setups): every function
// then fails softly and the app works with the built-in model.

const DB_NAME = 'camformer-web';
const DB_VERSION = 1;
const MODELS = 'models';
const SETTINGS = 'settings';

let dbPromise = null;

function openDb() {
  dbPromise ??= new Promise((resolve, reject) => {
    if (typeof indexedDB === 'undefined') {
      reject(new Error('IndexedDB is not available'));
      return;
    }
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(MODELS)) db.createObjectStore(MODELS, { keyPath: 'id' });
      if (!db.objectStoreNames.contains(SETTINGS)) db.createObjectStore(SETTINGS);
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB open failed'));
    req.onblocked = () => reject(new Error('IndexedDB is blocked by another tab'));
  });
  return dbPromise;
}

async function tx(storeName, mode, fn) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const t = db.transaction(storeName, mode);
    const req = fn(t.objectStore(storeName));
    t.oncomplete = () => resolve(req?.result);
    t.onerror = () => reject(t.error ?? new Error('IndexedDB transaction failed'));
    t.onabort = () => reject(t.error ?? new Error('IndexedDB transaction aborted'));
  });
}

/**
 * @typedef {object} StoredModel
 * @property {string} id
 * @property {string} name shown to the user
 * @property {ArrayBuffer} weights safetensors bytes
 * @property {string|null} manifest manifest.json text
 * @property {string|null} arch architecture name when there is no manifest
 * @property {number} added time stamp (ms)
 */

/**
 * Saves a model; resolves to its id.
 * @param {Omit<StoredModel, 'id'|'added'>} model
 * @returns {Promise<string>}
 */
export async function saveModel(model) {
  const id = `m${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  await tx(MODELS, 'readwrite', (store) => store.put({ ...model, id, added: Date.now() }));
  return id;
}

/**
 * The stored models without their weights (for listing).
 * @returns {Promise<Array<{id: string, name: string, added: number, size: number}>>}
 */
export async function listModels() {
  try {
    const all = (await tx(MODELS, 'readonly', (store) => store.getAll())) ?? [];
    return all
      .map((m) => ({ id: m.id, name: m.name, added: m.added, size: m.weights?.byteLength ?? 0 }))
      .sort((a, b) => a.added - b.added);
  } catch {
    return [];
  }
}

/**
 * One stored model with its weights, or null.
 * @param {string} id
 * @returns {Promise<StoredModel|null>}
 */
export async function getModel(id) {
  try {
    return (await tx(MODELS, 'readonly', (store) => store.get(id))) ?? null;
  } catch {
    return null;
  }
}

/**
 * Deletes a stored model (and forgets it as the active one).
 * @param {string} id
 */
export async function deleteModel(id) {
  await tx(MODELS, 'readwrite', (store) => store.delete(id));
  if ((await getActiveId()) === id) await setActiveId(null);
}

/**
 * The id of the model to restore on the next visit (null: the built-in model).
 * @returns {Promise<string|null>}
 */
export async function getActiveId() {
  try {
    return (await tx(SETTINGS, 'readonly', (store) => store.get('activeModel'))) ?? null;
  } catch {
    return null;
  }
}

/**
 * Remembers which model to restore (null: the built-in model).
 * @param {string|null} id
 */
export async function setActiveId(id) {
  try {
    await tx(SETTINGS, 'readwrite', (store) => store.put(id, 'activeModel'));
  } catch {
    // Not persisting the choice only costs a reload of the default model next time.
  }
}

/**
 * A stored setting (a user's motif file: {name, text}), or null.
 * @param {string} key
 * @returns {Promise<any>}
 */
export async function getSetting(key) {
  try {
    return (await tx(SETTINGS, 'readonly', (store) => store.get(key))) ?? null;
  } catch {
    return null;
  }
}

/**
 * Stores a setting (null forgets it); fails softly without IndexedDB.
 * @param {string} key
 * @param {any} value
 * @returns {Promise<boolean>} whether it was kept
 */
export async function setSetting(key, value) {
  try {
    await tx(SETTINGS, 'readwrite', (store) => (value === null ? store.delete(key) : store.put(value, key)));
    return true;
  } catch {
    return false;
  }
}
