import { SecurityError } from '@app/security';
import { cookiesWithout, cookieValues, isNavigation, originalUrl } from './browser';
import { escapeHtml } from './browser-pages';
import { verdictAnswer } from './forward-auth.http';

const NAME = '__Secure-cameleer_session';

describe('browser requests', () => {
  it('a page load is a GET or HEAD that navigates or accepts HTML', () => {
    expect(isNavigation('GET', 'navigate', undefined)).toBe(true);
    expect(isNavigation('head', undefined, 'text/html;q=0.9')).toBe(true);
    expect(isNavigation('GET', 'cors', '*/*')).toBe(false);
    expect(isNavigation('POST', 'navigate', 'text/html')).toBe(false);
    expect(isNavigation(undefined, 'navigate', 'text/html')).toBe(false);
  });

  it('reads every session cookie and removes only them from what the upstream gets', () => {
    expect(cookieValues(`a=1; ${NAME}=x; ${NAME}=y; ${NAME}x=z`, NAME)).toEqual(['x', 'y']);
    expect(cookieValues('a=1', NAME)).toEqual([]);
    expect(cookiesWithout(`a=1; ${NAME}=x;b=2; ${NAME}_other=3`, NAME)).toBe(`a=1; b=2; ${NAME}_other=3`);
    expect(cookiesWithout(`${NAME}=x`, NAME)).toBeUndefined();
    expect(cookiesWithout('a=1;b', NAME)).toBe('a=1;b');
    expect(cookiesWithout(undefined, NAME)).toBeUndefined();
  });

  it('rebuilds the URL asked for only from what a proxy sends', () => {
    expect(originalUrl('https', 'Acme.Example.com:8443', '/a?b=c')).toBe('https://acme.example.com:8443/a?b=c');
    expect(originalUrl('https', 'acme.example.com', undefined)).toBe('https://acme.example.com/');
    expect(originalUrl('javascript', 'acme.example.com', '/')).toBeUndefined();
    expect(originalUrl('https', 'evil.test/x', '/')).toBeUndefined();
    expect(originalUrl('https', 'a.test', '/a b')).toBeUndefined();
    expect(originalUrl('https', 'a.test', `/${'x'.repeat(5_000)}`)).toBe('https://a.test/');
  });
});

describe('what a browser gets on the wire', () => {
  it('the 200 carries the rewritten Cookie header only when cookies remain', () => {
    expect(verdictAnswer({ kind: 'allow', identity: { 'x-cameleer-subject': 'alice' }, cookie: 'a=1' }, 'r').headers).toMatchObject({ cookie: 'a=1', 'x-cameleer-subject': 'alice' });
    expect(verdictAnswer({ kind: 'allow', identity: {}, cookie: undefined }, 'r').headers).not.toHaveProperty('cookie');
  });

  it('a 302 to sign in, clearing a stale cookie', () => {
    expect(verdictAnswer({ kind: 'sign-in', location: 'https://auth.test/api/auth/login', clearCookie: `${NAME}=; Max-Age=0` }, 'r')).toEqual({
      status: 302,
      headers: { location: 'https://auth.test/api/auth/login', 'set-cookie': `${NAME}=; Max-Age=0`, 'cache-control': 'no-store', 'content-length': '0' },
      body: '',
    });
  });

  it('a refused page load: a small HTML page that escapes the host and says nothing of the refusal', () => {
    const page = verdictAnswer({ kind: 'page', error: new SecurityError('NOT_FOUND', 'No such tenant at host "x".'), host: 'acme.test', signOutAction: 'https://auth.test/api/auth/logout' }, 'req-1');
    expect(page.status).toBe(404);
    expect(page.headers).toMatchObject({ 'content-type': 'text/html; charset=utf-8', 'x-request-id': 'req-1', 'content-security-policy': expect.stringContaining("default-src 'none'") as unknown, 'referrer-policy': 'strict-origin' });
    expect(page.body).toContain('<form method="post" action="https://auth.test/api/auth/logout">');
    expect(page.body).toContain('acme.test');
    expect(page.body).not.toContain('No such tenant at host');
    const hostile = verdictAnswer({ kind: 'page', error: new SecurityError('TENANT_SUSPENDED', 'x'), host: '<script>alert(1)</script>.acme.test', signOutAction: undefined }, 'req-2');
    expect(hostile.status).toBe(403);
    expect(hostile.body).not.toMatch(/<script|<form/);
    expect(escapeHtml(`<a href="x">'&`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;');
  });

  it('an internal failure gets a page with an error id, logged, without the error', () => {
    const page = verdictAnswer({ kind: 'page', error: new Error('secret stack detail'), host: 'acme.test', signOutAction: undefined }, 'req-3');
    expect(page.status).toBe(500);
    expect(page.body).toMatch(/Reference: [0-9a-f-]{36}/);
    expect(page.body).not.toContain('secret');
  });
});
