#!/usr/bin/env node
// Builds the shipped front end in pkg/ from the www/ sources (run by scripts/build-wasm.sh
// after wasm-bindgen; dependency-free, deterministic output):
//
//   pkg/camformer-predictor.js  ONE ES module defining <camformer-predictor>: the www/app
//                               modules, the worker (www/worker.js and the modules it imports,
//                               bundled into one script, started from a Blob URL) and the
//                               styles inlined; it loads the CPU module (camformer.js +
//                               camformer_bg.wasm, or camformer-relaxed_bg.wasm where the
//                               browser has relaxed SIMD) from beside itself (import.meta.url), and the
//                               WebGPU module (camformer-gpu.js + camformer-gpu_bg.wasm) from
//                               there too, only when WebGPU is chosen.
//   pkg/camformer.html          the whole app as one file that works from file:// (no fetch, no
//                               import(), no module worker there): the CPU module's glue turned
//                               into a classic script inside a classic Blob-URL worker, its wasm
//                               as base64 (the default weights are inside the wasm), initSync.
//                               Only the CPU module's simd128 build, so the file stays small:
//                               neither WebGPU nor relaxed SIMD there (the UI says so where the
//                               backend is shown).
//
// The bundler is deliberately small: it understands exactly the module syntax the sources use
// (relative `import {a, b as c} / * as ns / default from './x.js'`, `export function|class|
// const|let|var`, `export {a, b as c}`, `export default name`) and fails loudly on anything else.
//
//   node scripts/bundle.mjs [--out pkg]

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WWW = path.join(ROOT, 'www');
const outArg = process.argv.indexOf('--out');
const OUT = path.resolve(ROOT, outArg > 0 ? process.argv[outArg + 1] : 'pkg');

const ENTRY = path.join(WWW, 'app', 'camformer-predictor.js');
const WORKER = path.join(WWW, 'worker.js');
const ASSETS = path.join(WWW, 'app', 'assets.js');
// The CPU-only module (every page) and the WebGPU one (fetched only when WebGPU is chosen).
const GLUE = path.join(OUT, 'camformer.js');
const WASM = path.join(OUT, 'camformer_bg.wasm');
const GPU_GLUE = path.join(OUT, 'camformer-gpu.js');
const GPU_WASM = path.join(OUT, 'camformer-gpu_bg.wasm');
/** What the single-file app shows where the backend is named. */
const SINGLE_FILE_NO_GPU = 'WebGPU is not available in the single-file build';

const read = (file) => readFileSync(file, 'utf8');

// ---------------------------------------------------------------------------------------------
// A minimal ES-module concatenator.

const IDENT = '[A-Za-z_$][\\w$]*';
const IMPORT_RE = new RegExp(
  `^import\\s+(?:(${IDENT})\\s*,?\\s*)?(\\{[^}]*\\}|\\*\\s+as\\s+${IDENT})?\\s*from\\s*(['"])([^'"]+)\\3\\s*;?[ \\t]*$`,
  'gm',
);
const EXPORT_DECL_RE = new RegExp(`^export\\s+((?:async\\s+)?function\\*?|class|const|let|var)\\s+(${IDENT})`, 'gm');
const EXPORT_LIST_RE = /^export\s*\{([^}]*)\}\s*;?[ \t]*$/gm;
const EXPORT_DEFAULT_RE = new RegExp(`^export\\s+default\\s+(${IDENT})\\s*;?[ \\t]*$`, 'gm');

/** `a, b as c` -> [['a','a'], ['b','c']] (local, exported / imported, local). */
function specifiers(list) {
  return list
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
    .map((x) => {
      const m = x.match(new RegExp(`^(${IDENT}|default)(?:\\s+as\\s+(${IDENT}|default))?$`));
      if (!m) throw new Error(`bundle: cannot read specifier '${x}'`);
      return [m[1], m[2] ?? m[1]];
    });
}

/**
 * Bundles an ES module graph into one scope: each module becomes an IIFE returning its exports.
 * @param {string} entry absolute path
 * @param {Map<string, string>} overrides absolute path -> replacement source
 * @returns {{code: string, entryVar: string}}
 */
function bundle(entry, overrides = new Map()) {
  const modules = new Map(); // path -> {id, deps, code}
  const visiting = new Set();
  const order = [];

  const load = (file) => {
    if (modules.has(file)) return modules.get(file);
    if (visiting.has(file)) throw new Error(`bundle: circular import through ${path.relative(ROOT, file)}`);
    visiting.add(file);
    let src = overrides.get(file) ?? read(file);
    const rel = path.relative(ROOT, file);
    const prologue = [];
    src = src.replace(IMPORT_RE, (_, def, named, _q, spec) => {
      if (!spec.startsWith('.')) throw new Error(`bundle: ${rel}: only relative imports are bundled ('${spec}')`);
      const dep = load(path.resolve(path.dirname(file), spec));
      if (def) prologue.push(`const ${def} = ${dep.id}.default;`);
      if (named?.startsWith('*')) prologue.push(`const ${named.replace(/^\*\s+as\s+/, '')} = ${dep.id};`);
      else if (named) {
        const parts = specifiers(named.slice(1, -1)).map(([imported, local]) => (imported === local ? local : `${imported}: ${local}`));
        prologue.push(`const { ${parts.join(', ')} } = ${dep.id};`);
      }
      return '';
    });
    if (/^import\s/m.test(src)) throw new Error(`bundle: ${rel}: an import statement the bundler does not understand`);
    const exported = []; // [local, exported]
    src = src.replace(EXPORT_DECL_RE, (_, kind, name) => {
      exported.push([name, name]);
      return `${kind} ${name}`;
    });
    src = src.replace(EXPORT_LIST_RE, (_, list) => {
      exported.push(...specifiers(list));
      return '';
    });
    src = src.replace(EXPORT_DEFAULT_RE, (_, name) => {
      exported.push([name, 'default']);
      return '';
    });
    if (/^export\s/m.test(src)) throw new Error(`bundle: ${rel}: an export form the bundler does not understand`);
    const id = `__module${order.length}`;
    const returns = exported.map(([local, name]) => (local === name ? local : `${JSON.stringify(name)}: ${local}`));
    const code = `// ---- ${rel} ----\nconst ${id} = (() => {\n${prologue.join('\n')}\n${src.trim()}\nreturn { ${returns.join(', ')} };\n})();\n`;
    const mod = { id, code };
    visiting.delete(file);
    modules.set(file, mod);
    order.push(mod);
    return mod;
  };

  const root = load(entry);
  return { code: order.map((m) => m.code).join('\n'), entryVar: root.id };
}

/** A JS string literal that is also safe inside an HTML <script> element. */
function literal(text) {
  return JSON.stringify(text).replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

const sha256 = (text) => createHash('sha256').update(text).digest('base64');

// ---------------------------------------------------------------------------------------------
// The pieces.

const css = read(path.join(WWW, 'style.css'));
const workerSource = workerScript();

/**
 * The worker (www/worker.js with its imports: app/protocol.js, app/worker/*.js) as ONE script
 * without import/export, which runs as a module worker (the element) and as a classic worker
 * (the single file, after the classic glue; file:// allows no module workers).
 */
function workerScript() {
  const { code } = bundle(WORKER);
  // A classic script has no import.meta (and top-level await would not parse in the wrappers).
  if (/\bimport\.meta\b/.test(code)) throw new Error('bundle: the worker uses import.meta, which a classic worker does not have');
  // Strict as the modules were, also where it runs as a classic script.
  return `'use strict';\n${code}`;
}

const header = (what) =>
  `// ${what}\n// Generated by scripts/bundle.mjs from www/ (do not edit; run scripts/build-wasm.sh or node scripts/bundle.mjs).\n`;

/** The assets module of the built element: everything beside the element's own URL. */
const ELEMENT_ASSETS = `
const beside = (file) => new URL('./' + file, import.meta.url).href;
// One Blob URL for every worker of the pool (and every element on the page).
let workerUrl = null;
export const assets = {
  mode: 'element',
  // From a Blob URL: works when the element is served from another origin than the page (a
  // wiki's file store), and the worker inherits the page's Content-Security-Policy.
  createWorker: async () => {
    workerUrl ??= URL.createObjectURL(new Blob([__WORKER_SOURCE], { type: 'text/javascript' }));
    return new Worker(workerUrl, { type: 'module', name: 'camformer' });
  },
  modules: () => ({
    cpu: { glueUrl: beside('camformer.js'), wasm: { url: beside('camformer_bg.wasm') }, relaxed: { url: beside('camformer-relaxed_bg.wasm') } },
    gpu: { glueUrl: beside('camformer-gpu.js'), wasm: { url: beside('camformer-gpu_bg.wasm') } },
  }),
  gpuMissing: null,
  css: async () => __CSS,
};
`;

/** The assets module of the single-file app: nothing is fetched; the CPU module only. */
const SINGLE_FILE_ASSETS = `
// One Blob URL for every worker of the pool.
let workerUrl = null;
export const assets = {
  mode: 'single-file',
  // A classic worker: file:// pages may not start module workers or import() files.
  createWorker: async () => {
    workerUrl ??= URL.createObjectURL(new Blob([__GLUE_CLASSIC, '\\n', __WORKER_SOURCE], { type: 'text/javascript' }));
    return new Worker(workerUrl, { name: 'camformer' });
  },
  modules: () => ({
    cpu: { glueUrl: null, wasm: { base64: document.getElementById('camformer-wasm').textContent.trim() } },
    gpu: null,
  }),
  gpuMissing: ${JSON.stringify(SINGLE_FILE_NO_GPU)},
  css: async () => __CSS,
};
`;

/** The wasm-bindgen `--target web` glue as a classic script defining self.camformerGlue. */
function classicGlue() {
  const { code, entryVar } = bundle(GLUE);
  const body = code.replace(/\bimport\.meta\.url\b/g, 'self.location.href');
  if (/\bimport\.meta\b/.test(body)) throw new Error('bundle: the glue uses import.meta beyond import.meta.url');
  return `'use strict';\nself.camformerGlue = (() => {\n${body}\nreturn ${entryVar};\n})();\n`;
}

function elementModule(assetsSource, constants) {
  const { code, entryVar } = bundle(ENTRY, new Map([[ASSETS, assetsSource]]));
  const consts = Object.entries(constants).map(([name, value]) => `const ${name} = ${literal(value)};`).join('\n');
  return `${consts}\n\n${code}\nconst { CamformerPredictor, TAG } = ${entryVar};\nexport { CamformerPredictor, TAG };\n`;
}

// ---------------------------------------------------------------------------------------------
// Outputs.

mkdirSync(OUT, { recursive: true });

const element =
  header(
    '<camformer-predictor>: the Camformer Web app as one ES module. Needs camformer.js, camformer_bg.wasm and\n' +
      '// camformer-relaxed_bg.wasm (fetched instead of camformer_bg.wasm where the browser has relaxed SIMD) beside it\n' +
      '// (and camformer-gpu.js + camformer-gpu_bg.wasm for WebGPU; fetched only when WebGPU is chosen).',
  ) +
  elementModule(ELEMENT_ASSETS, { __WORKER_SOURCE: workerSource, __CSS: css });
writeFileSync(path.join(OUT, 'camformer-predictor.js'), element);
console.log(`bundle: ${path.relative(ROOT, path.join(OUT, 'camformer-predictor.js'))} (${(element.length / 1024).toFixed(0)} KiB)`);

if (!existsSync(GLUE) || !existsSync(WASM)) {
  console.error(`bundle: ${path.relative(ROOT, GLUE)} or ${path.relative(ROOT, WASM)} is missing (build them with scripts/build-wasm.sh); pkg/camformer.html not written`);
  process.exit(1);
}
if (!existsSync(GPU_GLUE) || !existsSync(GPU_WASM)) {
  // Not fatal: without them the element runs on the CPU (a WebGPU attempt falls back and says why).
  console.warn(`bundle: ${path.relative(ROOT, GPU_GLUE)} or ${path.relative(ROOT, GPU_WASM)} is missing: the element will have no WebGPU backend`);
}

const script =
  header('The Camformer Web single-file app.') +
  elementModule(SINGLE_FILE_ASSETS, { __WORKER_SOURCE: workerSource, __CSS: css, __GLUE_CLASSIC: classicGlue() });
if (/<\/script/i.test(script)) throw new Error('bundle: the inline script contains </script');
const wasmBase64 = readFileSync(WASM).toString('base64');
const pageCss = css;
// The hashes let exactly these inline script and style run under a strict policy; no origin is
// allowed, so nothing can be fetched from or sent to any server.
const csp = [
  "default-src 'none'",
  `script-src 'sha256-${sha256(script)}' 'wasm-unsafe-eval'`,
  'worker-src blob:',
  "connect-src 'self' blob: data:",
  'img-src blob: data:',
  `style-src 'sha256-${sha256(pageCss)}'`,
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Camformer Web (single file)</title>
<link rel="icon" href="data:,">
<style>${pageCss}</style>
</head>
<body class="cf-page">
<header>
<h1>Camformer Web</h1>
<p>Yeast promoter expression predicted by Camformer, entirely in this browser. This one file holds the
whole app and its model: <strong>it runs offline and nothing leaves your machine</strong> (its
Content-Security-Policy allows no network access).</p>
</header>
<camformer-predictor backend="auto"></camformer-predictor>
<script type="application/octet-stream" id="camformer-wasm">${wasmBase64}</script>
<script type="module">${script}</script>
</body>
</html>
`;
writeFileSync(path.join(OUT, 'camformer.html'), html);
console.log(`bundle: ${path.relative(ROOT, path.join(OUT, 'camformer.html'))} (${(html.length / 1e6).toFixed(1)} MB)`);
