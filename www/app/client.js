// The page's side of the worker protocol (described in protocol.js; the worker is
// www/worker.js): numbered requests, promises for their final replies, progress callbacks,
// cancellation.

import { CANCEL, CANCELLED, STATUS } from './protocol.js';

/**
 * A job that ended because it was cancelled; callers usually ignore it. `partial` holds what
 * the job had computed when it stopped, for the jobs that can say (a batch prediction, motif
 * pairs and matrices, lists of sequences through the worker pool): `{result, done, total?}`.
 */
export class CancelledError extends Error {
  /** @param {object|null} [partial] */
  constructor(partial = null) {
    super(CANCELLED);
    this.name = 'CancelledError';
    this.partial = partial;
  }
}

/**
 * Talks to one Camformer worker.
 * Dispatches `backend` events (detail: model info) when the worker switches backend on its own.
 */
export class WorkerClient extends EventTarget {
  #worker;
  #nextId = 1;
  #pending = new Map();

  /** @param {Worker} worker a worker running www/worker.js */
  constructor(worker) {
    super();
    this.#worker = worker;
    worker.onmessage = (event) => this.#onMessage(event.data);
    worker.onerror = (event) => {
      // A worker that fails to load or throws outside a job: fail every pending job. Handled
      // here and shown by the page, so the browser need not log it as well.
      event.preventDefault();
      // Without a message the worker script itself did not start: on an embedding page the
      // usual cause is a Content-Security-Policy that allows no blob: workers.
      this.#failAll(new Error(`worker: ${event.message || "failed to start (a page whose Content-Security-Policy has no worker-src blob: blocks it)"}`));
    };
    worker.onmessageerror = () => this.#failAll(new Error('worker: a message could not be read'));
  }

  /**
   * Sends a job.
   * @param {string} type a job type: a value of JOB (protocol.js)
   * @param {object} [params] the job's fields (the table at JOB)
   * @param {{onProgress?: Function, onLoading?: Function, transfer?: Transferable[]}} [options]
   * @returns {{id: number, promise: Promise<object>}} the promise resolves with the final reply
   *   and rejects with an Error (a CancelledError when cancelled; `fatal` set after a wasm trap)
   */
  request(type, params = {}, { onProgress, onLoading, transfer = [] } = {}) {
    const id = this.#nextId++;
    const promise = new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, onProgress, onLoading });
    });
    this.#worker.postMessage({ ...params, id, type }, transfer);
    return { id, promise };
  }

  /**
   * Cancels a job: dropped if still queued, stopped at its next checkpoint if running.
   * @param {number} id
   */
  cancel(id) {
    if (this.#pending.has(id)) this.#worker.postMessage({ type: CANCEL, target: id });
  }

  /** Stops the worker; pending jobs fail. */
  terminate() {
    this.#worker.terminate();
    this.#failAll(new CancelledError());
  }

  #failAll(error) {
    for (const job of this.#pending.values()) job.reject(error);
    this.#pending.clear();
  }

  #onMessage(message) {
    if (message.id === null && message.status === STATUS.backend) {
      this.dispatchEvent(new CustomEvent('backend', { detail: message }));
      return;
    }
    const job = this.#pending.get(message.id);
    if (!job) return;
    if (message.error !== undefined) {
      this.#pending.delete(message.id);
      const error = message.cancelled ? new CancelledError(message.partial ?? null) : new Error(message.error);
      if (message.fatal) error.fatal = true;
      job.reject(error);
    } else if (message.status === STATUS.progress) {
      job.onProgress?.(message);
    } else if (message.status === STATUS.loading) {
      job.onLoading?.(message);
    } else {
      this.#pending.delete(message.id);
      job.resolve(message);
    }
  }
}
