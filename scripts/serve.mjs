#!/usr/bin/env node
// A tiny dependency-free static file server for the browser app and its tests.
//
//   node scripts/serve.mjs [--port 8000] [--host 127.0.0.1] [--cors]
//
// Serves the repository root (so both www/ and pkg/ are reachable) and prints the app's URL.
// Only GET/HEAD, only files inside the root, correct MIME types (WebAssembly streaming
// compilation needs `application/wasm`), no caching, so a rebuilt pkg/ is picked up on reload.
//
// --cors lets pages of any other origin use the files (Access-Control-Allow-Origin: *): what a
// wiki's file store on another host must do for the embedded element, whose module script, glue
// and wasm the browser fetches in CORS mode (see "Embedding" in www/README.md).

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository root: the parent of scripts/. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.tsv': 'text/tab-separated-values; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.fa': 'text/plain; charset=utf-8',
  '.fasta': 'text/plain; charset=utf-8',
  '.safetensors': 'application/octet-stream',
  '.sha256': 'text/plain; charset=utf-8',
};

/** The headers that let pages of other origins fetch a file (module scripts and fetch() are CORS requests). */
const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  // Lets the files load also into pages that are cross-origin isolated (COEP: require-corp).
  'Cross-Origin-Resource-Policy': 'cross-origin',
};

/**
 * Creates (but does not start) a static server for `root`.
 * @param {string} [root] directory to serve
 * @param {{cors?: boolean}} [options] `cors`: send CORS headers, so pages of other origins can use the files
 * @returns {http.Server}
 */
export function createStaticServer(root = ROOT, { cors = false } = {}) {
  const extra = cors ? CORS_HEADERS : {};
  return http.createServer(async (req, res) => {
    const send = (status, text) => {
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...extra });
      res.end(req.method === 'HEAD' ? undefined : text);
    };
    // Browsers send no preflight for the plain GETs the element makes; answer one anyway.
    if (cors && req.method === 'OPTIONS') {
      res.writeHead(204, { ...extra, 'Access-Control-Allow-Methods': 'GET, HEAD', 'Access-Control-Allow-Headers': '*', 'Access-Control-Max-Age': '600' });
      return res.end();
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
    } catch {
      return send(400, 'bad request\n');
    }
    let file = path.join(root, pathname);
    // path.join normalises '..'; anything that still escapes the root is refused.
    if (file !== root && !file.startsWith(root + path.sep)) return send(403, 'forbidden\n');
    try {
      let info = await stat(file);
      if (info.isDirectory()) {
        if (!pathname.endsWith('/')) {
          res.writeHead(301, { Location: pathname + '/', ...extra });
          return res.end();
        }
        file = path.join(file, 'index.html');
        info = await stat(file);
      }
      res.writeHead(200, {
        'Content-Type': MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
        'Content-Length': info.size,
        'Cache-Control': 'no-cache',
        'X-Content-Type-Options': 'nosniff',
        ...extra,
      });
      if (req.method === 'HEAD') return res.end();
      createReadStream(file).pipe(res);
    } catch {
      send(404, 'not found\n');
    }
  });
}

/**
 * Starts a static server and resolves once it listens.
 * @param {{port?: number, host?: string, root?: string, cors?: boolean}} [options] port 0 picks a free port
 * @returns {Promise<{server: http.Server, origin: string}>}
 */
export function serve({ port = 8000, host = '127.0.0.1', root = ROOT, cors = false } = {}) {
  const server = createStaticServer(root, { cors });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: actual } = server.address();
      resolve({ server, origin: `http://${host}:${actual}` });
    });
  });
}

// Run as a script (not when imported by the tests).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(name);
    return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
  };
  const port = Number(arg('--port', process.env.PORT ?? 8000));
  const host = arg('--host', '127.0.0.1');
  const cors = process.argv.includes('--cors');
  const { origin } = await serve({ port, host, cors });
  console.log(`Camformer Web: ${origin}/www/`);
  console.log(`(serving ${ROOT}; the embeddable element is ${origin}/pkg/camformer-predictor.js${cors ? ', usable from pages of any origin (CORS)' : ''}; Ctrl-C stops)`);
}
