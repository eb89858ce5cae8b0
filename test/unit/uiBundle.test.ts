import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bundleUi } from '../../ui/build.js';
import { serveUi } from '../../ui/server/staticUi.js';
import type { SessionInfo } from '../../ui/src/view/types.js';

/** The console's budget (issue 17): all of its JavaScript, gzipped, at most 150 KB. */
const JS_BUDGET_BYTES = 150 * 1024;

describe('the web console bundle', async () => {
  const files = await bundleUi();

  it('fits the JavaScript budget, gzipped', () => {
    const gzipped = gzipSync(files['app.js']).length;
    expect(gzipped).toBeGreaterThan(10_000); // Preact and uPlot are in it: nothing loads from a CDN
    expect(gzipped).toBeLessThanOrEqual(JS_BUDGET_BYTES);
  });

  it('loads nothing from another origin', () => {
    expect(files['index.html']).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(files['app.js']).not.toMatch(/import\s*\(?\s*["']https?:/);
  });
});

describe('serveUi', () => {
  const files = { 'index.html': '<html></html>', 'app.js': 'js', 'app.css': 'css' };
  const session: SessionInfo = { mode: 'sandbox', users: ['alice'], apiUrl: 'http://127.0.0.1:1' };

  it('serves only its own files, with a strict content security policy', () => {
    const page = serveUi(files, session, 'GET', '/ui/');
    expect(page?.statusCode).toBe(200);
    expect(page?.body).toBe('<html></html>');
    expect(page?.headers['content-security-policy']).toContain("script-src 'self'");
    expect(serveUi(files, session, 'GET', '/ui/app.js')?.headers['content-type']).toMatch(/^text\/javascript/);
    expect(JSON.parse(serveUi(files, session, 'GET', '/ui/session.json')?.body ?? '')).toEqual(session);
  });

  it('answers 404 for anything else under /ui and leaves other paths to the API', () => {
    for (const path of ['/ui/../package.json', '/ui/%2e%2e/x', '/ui/constructor', '/ui/toString', '/ui/dist/app.js'])
      expect(serveUi(files, session, 'GET', path)?.statusCode).toBe(404);
    expect(serveUi(files, session, 'POST', '/ui/')?.statusCode).toBe(405);
    expect(serveUi(files, session, 'GET', '/ui')?.headers.location).toBe('/ui/');
    expect(serveUi(files, session, 'GET', '/grants')).toBeUndefined();
    expect(serveUi(files, session, 'GET', '/uix')).toBeUndefined();
  });
});
