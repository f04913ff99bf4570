import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character] ?? character);

/**
 * Where cameleer3-server would answer behind the dev edge: a page listing the identity headers forward-auth let
 * through (and the cookies that reached it), so a developer sees what an upstream gets. JSON for `Accept: application/json`.
 */
export async function startStubUpstream(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((request, reply) => {
    const identity = Object.entries(request.headers).filter(([name]) => name.startsWith('x-cameleer-'));
    if ((request.headers.accept ?? '').includes('application/json')) {
      reply.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(
        JSON.stringify({ method: request.method, url: request.url, identity: Object.fromEntries(identity), cookie: request.headers.cookie ?? null }),
      );
      return;
    }
    const rows = identity.map(([name, value]) => `<tr><th>${escapeHtml(name)}</th><td><code>${escapeHtml(String(value))}</code></td></tr>`).join('');
    const body =
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>cameleer3-server would answer here</title></head><body>` +
      `<h1>cameleer3-server would answer here</h1><p>${escapeHtml(request.method ?? 'GET')} <code>${escapeHtml(request.url ?? '/')}</code>, let in by forward-auth with:</p>` +
      `<table id="identity">${rows}</table><p>Cookies that reached this upstream: <code id="cookies">${escapeHtml(request.headers.cookie ?? '(none)')}</code></p></body></html>`;
    reply.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': "default-src 'none'" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
