// The status bar: model and backend, what is running (with progress and Cancel), warnings,
// and the privacy statement.

import { assets } from './assets.js';
import { fmtMs, h, replaceChildren } from './dom.js';
import { BACKEND, SIMD, UNIT } from './protocol.js';

/**
 * Creates the status bar.
 * @param {import('./app.js').App} app
 * @returns {{element: HTMLElement}}
 */
export function createStatusPanel(app) {
  const model = h('span', { class: 'cf-model-name', text: 'Camformer' });
  const backend = h('span', { class: 'cf-badge cf-backend', text: 'starting…', data: { backend: '' } });
  const timing = h('span', { class: 'cf-timing' });
  // A build without the WebGPU module (the single file) says so where the backend is shown.
  const build = h('span', { class: 'cf-build-note', text: assets.gpuMissing ?? '', hidden: !assets.gpuMissing });
  const line = h('div', { class: 'cf-status-line', attrs: { role: 'status', 'aria-live': 'polite' } });
  // Why the backend is not the one asked for (a WebGPU failure).
  const note = h('div', { class: 'cf-message cf-warning cf-fallback', hidden: true });
  // Warnings and errors about the app itself (a model that did not load, a restart).
  const alertBox = h('div', { class: 'cf-message cf-alert', hidden: true, attrs: { role: 'alert' } });
  const progress = h('progress', { class: 'cf-progress', max: 1, value: 0, hidden: true });
  const cancel = h('button', { type: 'button', class: 'cf-cancel', text: 'Cancel', hidden: true });
  const privacy = h(
    'p',
    { class: 'cf-privacy' },
    h('strong', { text: 'Runs offline. ' }),
    'The model runs in this browser: no sequence, file or result leaves your machine.',
  );
  const element = h(
    'header',
    { class: 'cf-status' },
    h('div', { class: 'cf-status-top' }, model, backend, build, timing),
    h('div', { class: 'cf-status-job' }, line, progress, cancel),
    note,
    alertBox,
    privacy,
  );

  // The job the progress bar shows: the latest long-running one.
  let shown = null;
  cancel.addEventListener('click', () => {
    if (shown !== null) app.cancel(shown);
  });

  app.addEventListener('model', (e) => {
    const info = e.detail;
    model.textContent = info.manifest?.name ?? 'Camformer';
    const gpu = info.backend === BACKEND.webgpu;
    const adapter = info.adapter && gpu ? ` · ${[info.adapter.vendor, info.adapter.architecture].filter(Boolean).join(' ')}` : '';
    // A backend that 'auto' chose by timing says so, with the rates, on hover.
    const timed = info.autoChoice ? ' · auto, timed' : '';
    backend.textContent = `${gpu ? `WebGPU${adapter}` : cpuName(info)}${timed}`;
    backend.dataset.backend = info.backend;
    const c = info.autoChoice;
    backend.title = c ? `auto chose ${c.backend === BACKEND.webgpu ? 'WebGPU' : 'the CPU'} by timing on ${c.date}: WebGPU ${c.webgpuPerS} sequences/s, CPU ${c.cpuPerS}/s per worker x ${c.workers}` : info.note ? `CPU chosen: ${info.note}` : '';
    note.textContent = info.fallback ?? '';
    note.hidden = !info.fallback;
  });

  app.host.addEventListener('ready', (e) => {
    if (e.detail.loadMs !== null && e.detail.loadMs !== undefined) timing.textContent = `ready in ${fmtMs(e.detail.loadMs)}`;
  });

  app.addEventListener('status', (e) => {
    const { text, kind } = e.detail;
    if (kind === 'busy') {
      line.textContent = text;
      line.dataset.kind = text ? 'busy' : '';
      return;
    }
    alertBox.textContent = text;
    alertBox.hidden = !text;
    alertBox.classList.toggle('cf-error', kind === 'error');
    alertBox.classList.toggle('cf-warning', kind === 'warning');
    alertBox.classList.toggle('cf-note', kind === 'note');
  });

  app.addEventListener('job', (e) => {
    const job = e.detail;
    if (job.phase === 'start') {
      line.dataset.kind = 'busy';
      line.textContent = `${job.label}…`;
      if (job.cancellable) {
        shown = job.id;
        progress.hidden = false;
        progress.removeAttribute('value'); // indeterminate until the first progress report
        cancel.hidden = false;
      }
    } else if (job.phase === 'progress' && job.id === shown) {
      progress.max = job.total || 1;
      progress.value = job.done;
      const sequences = (job.unit ?? UNIT.sequences) === UNIT.sequences;
      const rate = sequences && job.elapsedMs > 0 ? ` · ${Math.round((job.done / job.elapsedMs) * 1000).toLocaleString('en')} seq/s` : '';
      const unit = sequences ? '' : ` ${job.unit}`;
      line.textContent = `${job.label}: ${job.done.toLocaleString('en')} / ${job.total.toLocaleString('en')}${unit}${rate}`;
    } else if (job.phase === 'end') {
      if (job.id === shown) {
        shown = null;
        progress.hidden = true;
        cancel.hidden = true;
      }
      if (app.jobs.size === 0) {
        replaceChildren(line);
        line.dataset.kind = '';
      }
    }
  });

  return { element };
}

/** The CPU backend's name with the module build it runs: relaxed SIMD is worth knowing (~1.5x). */
export function cpuName(info) {
  return `CPU (WebAssembly${info.simd === SIMD.relaxed ? ', relaxed SIMD' : info.simd === SIMD.simd128 ? ', SIMD' : ''})`;
}
