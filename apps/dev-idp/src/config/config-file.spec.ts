import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadConfigFile } from './config-file';

describe('dev IdP config file: traditionalApps', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dev-idp-config-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const load = (traditionalApps: unknown, env: NodeJS.ProcessEnv = {}) => {
    const path = join(dir, `${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(path, JSON.stringify({ traditionalApps }));
    return loadConfigFile(path, env);
  };
  const app = (overrides: Record<string, unknown> = {}) => ({
    clientId: 'edge-dev',
    clientSecret: 'secret',
    redirectUris: ['http://${EDGE_AUTH_HOST:-auth.example.localhost}:${DEV_EDGE_PORT:-8080}/api/auth/callback'],
    postLogoutRedirectUris: ['http://${EDGE_AUTH_HOST:-auth.example.localhost}:${DEV_EDGE_PORT:-8080}/api/auth/signed-out'],
    ...overrides,
  });

  it('expands ${NAME:-default} from the environment, the default when unset or empty', () => {
    expect(load([app()], { DEV_EDGE_PORT: '' }).traditionalApps[0]).toEqual({
      clientId: 'edge-dev',
      clientSecret: 'secret',
      name: 'edge-dev',
      redirectUris: ['http://auth.example.localhost:8080/api/auth/callback'],
      postLogoutRedirectUris: ['http://auth.example.localhost:8080/api/auth/signed-out'],
    });
    expect(load([app()], { EDGE_AUTH_HOST: 'auth.dev.test', DEV_EDGE_PORT: '9999' }).traditionalApps[0]!.redirectUris).toEqual([
      'http://auth.dev.test:9999/api/auth/callback',
    ]);
  });

  it.each([
    ['a client ID with other characters', app({ clientId: 'edge dev' })],
    ['an empty secret', app({ clientSecret: '' })],
    ['a redirect URI that is not an http(s) URL', app({ redirectUris: ['javascript:alert(1)'] })],
    ['a placeholder that leaves no URL', app({ postLogoutRedirectUris: ['${NOWHERE}'] })],
    ['URIs that are not a list', app({ redirectUris: 'http://a.test/' })],
  ])('refuses %s, naming the entry', (_what, entry) => {
    expect(() => load([entry])).toThrow(/traditionalApps\[0\]: expected/);
  });

  it('defaults to none', () => {
    const path = join(dir, 'empty.json');
    writeFileSync(path, '{}');
    expect(loadConfigFile(path).traditionalApps).toEqual([]);
  });
});
