import { ConfigValidationError, loadConfig } from '@app/service-core';
import { edgeSessionsConfigSchema } from './edge-sessions.config';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(edgeSessionsConfigSchema, env);
    return [];
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      return [...error.problems];
    }
    throw error;
  }
}

const EDGE = { LOGTO_EDGE_APP_ID: 'edge', LOGTO_EDGE_APP_SECRET: 'secret', TENANT_BASE_DOMAIN: 'Cameleer.Example.' };

describe('edge sessions configuration', () => {
  it('is off without an edge app, with the Secure cookie and 8 h / 7 d lifetimes by default', () => {
    const config = loadConfig(edgeSessionsConfigSchema, {});
    expect(config).toMatchObject({ enabled: false, authHost: undefined, cookieName: '__Secure-cameleer_session', cookieSecure: true, idleTtlMs: 8 * 3_600_000, maxTtlMs: 7 * 86_400_000 });
  });

  it('derives the sign-in host, origin and cookie domain from TENANT_BASE_DOMAIN', () => {
    expect(loadConfig(edgeSessionsConfigSchema, EDGE)).toMatchObject({
      enabled: true,
      authHost: 'auth.cameleer.example',
      publicAuthOrigin: 'https://auth.cameleer.example',
      cookieDomain: 'cameleer.example',
      edgeAppId: 'edge',
    });
    expect(loadConfig(edgeSessionsConfigSchema, { ...EDGE, EDGE_AUTH_HOST: 'login.cameleer.example' }).publicAuthOrigin).toBe('https://login.cameleer.example');
  });

  it('turns the Secure cookie off only in development, where the sign-in origin keeps PUBLIC_URL’s port', () => {
    expect(problemsOf({ ...EDGE, SESSION_COOKIE_SECURE: 'false' })).toEqual([expect.stringMatching(/^SESSION_COOKIE_SECURE: may be turned off only in development/)]);
    expect(problemsOf({ ...EDGE, SESSION_COOKIE_SECURE: 'false', NODE_ENV: 'production' })).toHaveLength(1);
    const dev = loadConfig(edgeSessionsConfigSchema, { ...EDGE, SESSION_COOKIE_SECURE: 'false', CAMELEER_DEV: '1', PUBLIC_URL: 'http://localhost:3000' });
    expect(dev).toMatchObject({ cookieName: 'cameleer_session', cookieSecure: false, publicAuthOrigin: 'http://auth.cameleer.example:3000' });
    // npm start: the dev edge's port, where the sign-in host is reached.
    const edge = loadConfig(edgeSessionsConfigSchema, { ...EDGE, SESSION_COOKIE_SECURE: 'false', CAMELEER_DEV: '1', PUBLIC_URL: 'http://localhost:3000', EDGE_AUTH_PORT: '8080' });
    expect(edge.publicAuthOrigin).toBe('http://auth.cameleer.example:8080');
  });

  it.each([
    [{ LOGTO_EDGE_APP_ID: 'edge', TENANT_BASE_DOMAIN: 'cameleer.example' }, /LOGTO_EDGE_APP_SECRET/],
    [{ LOGTO_EDGE_APP_ID: 'edge', LOGTO_EDGE_APP_SECRET: 's' }, /^TENANT_BASE_DOMAIN: required/],
    [{ ...EDGE, EDGE_AUTH_HOST: 'auth.elsewhere.example' }, /^EDGE_AUTH_HOST: must be cameleer.example or a host under it/],
    [{ ...EDGE, EDGE_AUTH_HOST: 'not a host' }, /^EDGE_AUTH_HOST: not a domain name/],
    [{ SESSION_IDLE_TTL: '10x' }, /^SESSION_IDLE_TTL: must be a duration/],
    [{ SESSION_IDLE_TTL: '60' }, /^SESSION_IDLE_TTL: at least 5m/],
    [{ SESSION_IDLE_TTL: '2d', SESSION_MAX_TTL: '1d' }, /^SESSION_MAX_TTL: at least SESSION_IDLE_TTL/],
    [{ SESSION_MAX_TTL: '91d' }, /^SESSION_MAX_TTL: .*at most 90d/],
    [{ SESSION_COOKIE_SECURE: 'maybe' }, /^SESSION_COOKIE_SECURE: /],
  ])('refuses %j', (env, problem) => {
    expect(problemsOf(env)).toEqual(expect.arrayContaining([expect.stringMatching(problem)]));
  });

  it('reads durations with units', () => {
    expect(loadConfig(edgeSessionsConfigSchema, { SESSION_IDLE_TTL: '30m', SESSION_MAX_TTL: '36h' })).toMatchObject({ idleTtlMs: 1_800_000, maxTtlMs: 36 * 3_600_000 });
  });
});
