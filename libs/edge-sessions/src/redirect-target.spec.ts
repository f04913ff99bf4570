import { EdgeSessionError } from './edge-sessions.errors';
import { redirectTarget } from './redirect-target';

const RULES = { baseDomain: 'cameleer.example', platformHost: 'platform.example', allowHttp: false };

function refused(rd: unknown, rules = RULES): boolean {
  try {
    redirectTarget(rd, rules);
    return false;
  } catch (error) {
    return error instanceof EdgeSessionError && error.code === 'INVALID_REDIRECT';
  }
}

describe('redirectTarget (where a sign-in may return)', () => {
  it('takes https URLs of tenant hosts and of the platform, in their one spelling', () => {
    expect(redirectTarget('https://ACME.cameleer.example/a/b?c=d#e', RULES)).toBe('https://acme.cameleer.example/a/b?c=d#e');
    expect(redirectTarget('https://platform.example/console', RULES)).toBe('https://platform.example/console');
    expect(redirectTarget('https://a.b.cameleer.example', RULES)).toBe('https://a.b.cameleer.example/');
  });

  it.each([
    'https://evil.example/',
    'https://cameleer.example.evil.example/',
    'https://evilcameleer.example/',
    'https://cameleer.example/',
    'http://acme.cameleer.example/',
    'https://acme.cameleer.example:444/',
    'https://u:p@acme.cameleer.example/',
    'https://evil.example\\@acme.cameleer.example/',
    'https:/\\evil.example/',
    'https:evil.example',
    '//acme.cameleer.example/',
    '/relative',
    'javascript://acme.cameleer.example/%0aalert(1)',
    'ftp://acme.cameleer.example/',
    'https://acme.cameleer.example/\u0000',
    'https://acme.cameleer.example/ x',
    'https://acme.cameleer.example%2eevil.example/',
    '',
  ])('refuses %j', (rd) => {
    expect(refused(rd)).toBe(true);
  });

  it('refuses what is not one string', () => {
    expect(refused(undefined)).toBe(true);
    expect(refused(['https://acme.cameleer.example/'])).toBe(true);
    expect(refused(`https://acme.cameleer.example/${'x'.repeat(2048)}`)).toBe(true);
  });

  it('allows http and ports only where the cookie is not Secure (development)', () => {
    const dev = { ...RULES, allowHttp: true };
    expect(redirectTarget('http://acme.cameleer.example:3000/', dev)).toBe('http://acme.cameleer.example:3000/');
    expect(refused('http://evil.example:3000/', dev)).toBe(true);
  });
});
