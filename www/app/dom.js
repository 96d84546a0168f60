// The helpers the panels and figures share, in one place: building elements and SVG, the
// common controls, number / backend / file-name formatting, sequence input, and downloads
// (TSV, SVG, PNG). Everything is built with createElement and properties, never innerHTML with
// data, so record names cannot inject markup, and never with style attributes, which a strict
// Content-Security-Policy would block.

import { BACKEND } from './protocol.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

/** 0-based start of the 80-bp random region in the 110-bp construct (construct 18-97, 1-based). */
export const REGION_START = 17;
/** Length of the random region, the part the motif and design tools edit. */
export const REGION_LENGTH = 80;

/**
 * Creates an HTML element.
 * @param {string} tag
 * @param {object} [props] `class`, `text`, `data` (dataset), `attrs`, `on` ({event: handler}),
 *   anything else is assigned as a property (`value`, `type`, `disabled`, `title`, ...)
 * @param {...(Node|string|null|undefined|false)} children
 * @returns {HTMLElement}
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  applyProps(el, props);
  append(el, children);
  return el;
}

/**
 * Creates an SVG element; props are attributes (numbers rounded to 3 decimals).
 * @param {string} tag
 * @param {object} [attrs]
 * @param {...(Node|string|null|undefined|false)} children
 * @returns {SVGElement}
 */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') el.textContent = String(value);
    else el.setAttribute(key, typeof value === 'number' ? String(round3(value)) : String(value));
  }
  append(el, children);
  return el;
}

/**
 * An SVG text label (10 px sans-serif, dark grey, centred unless `attrs` say otherwise).
 * @param {number} x
 * @param {number} y
 * @param {string} text
 * @param {object} [attrs] more or overriding attributes
 * @returns {SVGTextElement}
 */
export function svgText(x, y, text, attrs = {}) {
  return s('text', { x, y, 'font-size': 10, 'font-family': 'sans-serif', fill: '#333', 'text-anchor': 'middle', ...attrs, text });
}

function round3(x) {
  return Math.round(x * 1000) / 1000;
}

function applyProps(el, props) {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'data') Object.assign(el.dataset, value);
    else if (key === 'attrs') for (const [a, v] of Object.entries(value)) el.setAttribute(a, String(v));
    else if (key === 'on') for (const [ev, fn] of Object.entries(value)) el.addEventListener(ev, fn);
    else el[key] = value;
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/**
 * Replaces an element's children.
 * @param {Element} el
 * @param {...(Node|string|null|undefined|false)} children
 */
export function replaceChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/**
 * A multi-line text box without spell checking (sequences, variant lines).
 * @param {string} cls
 * @param {string} label its accessible name
 * @param {string} placeholder
 * @param {number} [rows]
 * @returns {HTMLTextAreaElement}
 */
export function textBox(cls, label, placeholder, rows = 2) {
  return h('textarea', { class: cls, rows, spellcheck: false, placeholder, attrs: { 'aria-label': label } });
}

/**
 * A <select> of fixed options.
 * @param {string} cls
 * @param {string} label its accessible name
 * @param {Array<[string, string]>} options [value, text], the first selected
 * @returns {HTMLSelectElement}
 */
export function choice(cls, label, options) {
  return h('select', { class: cls, attrs: { 'aria-label': label } }, options.map(([value, text]) => h('option', { value, text })));
}

/**
 * A table's header row.
 * @param {string[]} labels
 * @returns {HTMLTableRowElement}
 */
export function headerRow(labels) {
  return h('tr', {}, labels.map((t) => h('th', { text: t })));
}

/**
 * A sequence as typed or pasted: whitespace (line breaks included) dropped, upper case.
 * @param {string} text
 * @returns {string}
 */
export function cleanSequence(text) {
  return text.replace(/\s+/g, '').toUpperCase();
}

/**
 * Offers `content` as a file download (a Blob URL; nothing leaves the machine).
 * @param {string} filename
 * @param {Blob|string} content
 * @param {string} [type] MIME type for string content
 */
export function download(filename, content, type = 'text/plain') {
  const blob = content instanceof Blob ? content : new Blob([content], { type: `${type};charset=utf-8` });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  a.click();
  // The download has started by the next task; keep the URL a little longer for slow handlers.
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

/**
 * Offers TSV text as a download.
 * @param {string} filename
 * @param {string} text
 */
export function downloadTsv(filename, text) {
  download(filename, text, 'text/tab-separated-values');
}

/**
 * Offers the SVG figure inside `container` as a download (nothing when there is none).
 * @param {string} filename
 * @param {Element} container
 */
export function downloadSvg(filename, container) {
  const svg = container.querySelector('svg');
  if (svg) download(filename, serializeSvg(svg), 'image/svg+xml');
}

/**
 * Offers the SVG figure inside `container` as a PNG download (2 px per SVG unit).
 * @param {string} filename
 * @param {Element} container
 * @returns {Promise<void>} rejects when the PNG cannot be made
 */
export async function downloadPng(filename, container) {
  const svg = container.querySelector('svg');
  if (svg) download(filename, await svgToPng(svg, 2));
}

/**
 * Rows of cells as TSV text (one line each, a final newline).
 * @param {Array<Array<string|number>>} rows
 * @returns {string}
 */
export function tsv(rows) {
  return rows.map((cells) => cells.join('\t')).join('\n') + '\n';
}

/**
 * A name made safe for a file name (at most 60 characters; 'sequence' when nothing is left).
 * @param {string} name
 * @returns {string}
 */
export function fileSafe(name) {
  return String(name).replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60) || 'sequence';
}

/**
 * Formats a number with a fixed number of decimals; '' for null/NaN.
 * @param {number|null|undefined} x
 * @param {number} [digits]
 * @returns {string}
 */
export function fmt(x, digits = 3) {
  return x === null || x === undefined || Number.isNaN(x) ? '' : Number(x).toFixed(digits);
}

/**
 * Formats a difference with its sign: "+0.0123", "-0.0045".
 * @param {number} x
 * @param {number} [digits]
 * @returns {string}
 */
export function fmtSigned(x, digits = 4) {
  return `${x >= 0 ? '+' : ''}${fmt(x, digits)}`;
}

/**
 * Where the model ran, for "... on the GPU (WebGPU)" / "... on the CPU".
 * @param {string} backend a reply's `backend`
 * @returns {string}
 */
export function backendName(backend) {
  return backend === BACKEND.webgpu ? 'GPU (WebGPU)' : 'CPU';
}

/**
 * Formats milliseconds as "850 ms" or "1.23 s".
 * @param {number} ms
 * @returns {string}
 */
export function fmtMs(ms) {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/**
 * A message line for errors and notes, with a role screen readers announce.
 * @param {'error'|'note'|'warning'} kind
 * @returns {HTMLElement}
 */
export function messageBox(kind = 'error') {
  return h('div', { class: `cf-message cf-${kind}`, attrs: { role: kind === 'error' ? 'alert' : 'status' }, hidden: true });
}

/**
 * Shows (or with an empty text hides) a message box.
 * @param {HTMLElement} box from messageBox()
 * @param {string} [text]
 */
export function showMessage(box, text = '') {
  box.textContent = text;
  box.hidden = !text;
}

/**
 * Renders an SVG element to a PNG Blob (through an <img> of a Blob URL and a canvas).
 * @param {SVGSVGElement} svgEl a self-contained SVG (attributes, no external CSS)
 * @param {number} [scale] pixels per SVG unit
 * @returns {Promise<Blob>}
 */
export async function svgToPng(svgEl, scale = 2) {
  const text = serializeSvg(svgEl);
  const [, , w, hgt] = (svgEl.getAttribute('viewBox') ?? '0 0 800 400').split(/\s+/).map(Number);
  const url = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = Math.ceil(w * scale);
    canvas.height = Math.ceil(hgt * scale);
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    return await new Promise((resolve, reject) =>
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG export failed'))), 'image/png'),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}

/**
 * An SVG element as standalone SVG file text.
 * @param {SVGSVGElement} svgEl
 * @returns {string}
 */
export function serializeSvg(svgEl) {
  const copy = svgEl.cloneNode(true);
  copy.setAttribute('xmlns', SVG_NS);
  const [, , w, hgt] = (svgEl.getAttribute('viewBox') ?? '0 0 800 400').split(/\s+/);
  copy.setAttribute('width', w);
  copy.setAttribute('height', hgt);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(copy)}\n`;
}
