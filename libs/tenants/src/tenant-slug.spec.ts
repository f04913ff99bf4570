import { RESERVED_TENANT_SLUGS, tenantNameProblem, tenantSlugProblem } from './tenant-slug';

describe('tenant slugs', () => {
  it.each(['acme', 'a1b', 'acme-corp', 'x'.repeat(63), '123', 'a-b-c'])('accepts %s', (slug) => {
    expect(tenantSlugProblem(slug)).toBeUndefined();
  });

  it.each([
    ['ab', /3 to 63/],
    ['x'.repeat(64), /3 to 63/],
    ['Acme', /lowercase/],
    ['acme_corp', /only lowercase letters, digits and hyphens/],
    ['acmé', /only lowercase/],
    ['-acme', /start or end with a hyphen/],
    ['acme-', /start or end with a hyphen/],
    ['xn--acme', /third and fourth/],
    [42, /must be a string/],
    [undefined, /must be a string/],
  ])('refuses %p', (slug, message) => {
    expect(tenantSlugProblem(slug)).toMatch(message);
  });

  it('refuses every reserved name', () => {
    for (const name of ['api', 'admin', 'auth', 'www', 'logto', 'traefik', 'app', 'login', 'console', 'status', 'docs', 'mail', 'static', 'assets', 'cdn', 'clickhouse', 'postgres', 'cameleer']) {
      expect(RESERVED_TENANT_SLUGS.has(name)).toBe(true);
      expect(tenantSlugProblem(name)).toMatch(/reserved/);
    }
  });

  it('checks names: 1–128 characters, display text (the service-core rule)', () => {
    expect(tenantNameProblem('Acme Corp')).toBeUndefined();
    expect(tenantNameProblem('n'.repeat(128))).toBeUndefined();
    expect(tenantNameProblem('')).toMatch(/1 to 128/);
    expect(tenantNameProblem('n'.repeat(129))).toMatch(/1 to 128/);
    expect(tenantNameProblem('tab\there')).toMatch(/control/);
    expect(tenantNameProblem('c1\u0085')).toMatch(/control/);
    expect(tenantNameProblem('Acme\u202Egnp.exe')).toMatch(/^name must be display text/);
    expect(tenantNameProblem('Acme\u2028Corp')).toMatch(/^name must be display text/);
    expect(tenantNameProblem('Team 👩‍💻')).toBeUndefined();
  });
});
