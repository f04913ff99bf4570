/**
 * Invariants of the production stack (docker-compose.prod.yml). There is no Docker engine here, so the file is
 * read as YAML, interpolated with the example values (deploy/env/stack.env.example) like Compose would, and the
 * security-relevant properties are checked directly. deploy/validate.sh checks schema and Compose semantics.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { IDENTITY_HEADER_NAMES } from '@app/forward-auth';
import {
  type ComposeService,
  type Environment,
  compileRule,
  dependsOnOf,
  envDir,
  exampleStackEnv,
  interpolate,
  isToolsService,
  labelsOf,
  loadCompose,
  loadRawCompose,
  networksOf,
  publicRouters,
  readEnvFile,
  repoRoot,
  traefikForwardedPath,
  traefikRoutingPath,
} from './compose-support';

const LONG_RUNNING = ['cameleer-saas', 'cameleer3-server', 'clickhouse', 'logto', 'postgres', 'traefik'];
const DATASTORES = ['postgres', 'clickhouse'];
const VERIFY_URL = 'http://cameleer-saas:3001/api/auth/verify';
const HEADER_REGEX = '(?i)^x[-_]cameleer[-_]';

const env: Environment = exampleStackEnv();
const compose = loadCompose(env);
const raw = loadRawCompose();
const services = Object.entries(compose.services);
const longRunning = services.filter(([, s]) => !isToolsService(s));

function service(name: string): ComposeService {
  const s = compose.services[name];
  if (s === undefined) {
    throw new Error(`service ${name} missing`);
  }
  return s;
}

function healthTest(s: ComposeService): string {
  const test = s.healthcheck?.test;
  return Array.isArray(test) ? test.join(' ') : (test ?? '');
}

/** Go's (?i) prefix flag becomes the JS "i" flag; the rest of the pattern is the same in RE2 and JS. */
function goRegexToJs(pattern: string): RegExp {
  return pattern.startsWith('(?i)') ? new RegExp(pattern.slice(4), 'i') : new RegExp(pattern);
}

/** Volumes in short syntax as { source, target, mode }. */
function volumesOf(s: ComposeService): { source: string; target: string; readOnly: boolean }[] {
  return (s.volumes ?? []).map((v) => {
    if (typeof v !== 'string') {
      return { source: v.source ?? '', target: v.target ?? '', readOnly: v.read_only === true };
    }
    const [source = '', target = '', mode = ''] = v.split(':');
    return { source, target, readOnly: mode.split(',').includes('ro') };
  });
}

function imageTag(image: string): string | undefined {
  const withoutDigest = image.split('@')[0] ?? '';
  const lastSegment = withoutDigest.split('/').pop() ?? '';
  const colon = lastSegment.indexOf(':');
  return colon < 0 ? undefined : lastSegment.slice(colon + 1);
}

describe('docker-compose.prod.yml', () => {
  describe('services', () => {
    it('has exactly the six long-running services (tools-profile jobs aside)', () => {
      expect(longRunning.map(([name]) => name).sort()).toEqual(LONG_RUNNING);
    });

    it('keeps one-shot jobs under the tools profile, including the Logto database alteration', () => {
      const tools = services.filter(([, s]) => isToolsService(s));
      expect(tools.map(([name]) => name)).toContain('logto-alteration');
      const alteration = service('logto-alteration');
      expect([alteration.entrypoint, alteration.command].flat().join(' ')).toMatch(
        /npm run cli db alteration deploy -- \d+\.\d+\.\d+/,
      );
      expect(alteration.image).toBe(service('logto').image);
      expect(alteration.restart).toBe('no');
    });

    it.each(longRunning.map(([name]) => name))('%s restarts on failure and has a health check', (name) => {
      const s = service(name);
      expect(['always', 'unless-stopped']).toContain(s.restart);
      expect(s.healthcheck?.disable).not.toBe(true);
      expect(healthTest(s)).not.toBe('');
    });

    it.each(services.map(([name]) => name))('%s has CPU and memory limits', (name) => {
      const limits = service(name).deploy?.resources?.limits;
      expect(limits?.cpus).toMatch(/^\d+(\.\d+)?$/);
      expect(limits?.memory).toMatch(/^\d+[KMG]$/);
    });

    it('makes every depends_on target exist and have a health check it waits for', () => {
      let edges = 0;
      for (const [name, s] of services) {
        for (const [target, condition] of Object.entries(dependsOnOf(s))) {
          edges += 1;
          const dep = compose.services[target];
          expect({ name, target, exists: dep !== undefined }).toEqual({ name, target, exists: true });
          expect({ name, target, health: healthTest(dep as ComposeService) !== '' }).toEqual({
            name,
            target,
            health: true,
          });
          expect({ name, target, condition }).toEqual({ name, target, condition: 'service_healthy' });
        }
      }
      expect(edges).toBeGreaterThan(0);
      expect(Object.keys(dependsOnOf(service('cameleer-saas'))).sort()).toEqual(['logto', 'postgres']);
      expect(Object.keys(dependsOnOf(service('logto')))).toEqual(['postgres']);
    });
  });

  describe('networks and exposure', () => {
    it('has an internal backend network and a non-internal edge network', () => {
      const networks = compose.networks ?? {};
      expect(networks.backend?.internal).toBe(true);
      expect(networks.edge?.internal).not.toBe(true);
      // The fixed name is what --providers.docker.network and the traefik.docker.network labels refer to.
      expect(networks.edge?.name).toBe('cameleer-edge');
    });

    it.each(DATASTORES)('%s is only on the internal network and publishes no port', (name) => {
      const s = service(name);
      expect(networksOf(s)).toEqual(['backend']);
      expect(s.network_mode).toBeUndefined();
      expect(s.ports ?? []).toEqual([]);
      expect(labelsOf(s)['traefik.enable']).toBeUndefined();
    });

    it('publishes ports only on Traefik (80 and 443)', () => {
      for (const [name, s] of services) {
        if (name === 'traefik') {
          expect(s.ports).toEqual(['0.0.0.0:80:80', '0.0.0.0:443:443']);
        } else {
          expect({ name, ports: s.ports ?? [] }).toEqual({ name, ports: [] });
        }
      }
    });

    it('puts routed services on the edge network and tells Traefik to use it', () => {
      for (const [name, s] of services) {
        const labels = labelsOf(s);
        if (labels['traefik.enable'] === 'true') {
          expect({ name, networks: networksOf(s) }).toEqual({
            name,
            networks: expect.arrayContaining(['edge']) as unknown,
          });
          expect(labels['traefik.docker.network']).toBe('cameleer-edge');
        }
      }
      expect(networksOf(service('traefik'))).toEqual(['edge']);
    });
  });

  describe('keys', () => {
    it('mounts the keys directory read-only at /app/keys in cameleer-saas', () => {
      const keys = volumesOf(service('cameleer-saas')).find((v) => v.target === '/app/keys');
      expect(keys).toEqual({ source: './keys', target: '/app/keys', readOnly: true });
    });

    it('mounts the exported license key set read-only into cameleer3-server', () => {
      const jwks = volumesOf(service('cameleer3-server')).find((v) => v.source.endsWith('/license-jwks.json'));
      expect(jwks?.readOnly).toBe(true);
      const env3 = service('cameleer3-server').environment as Record<string, string>;
      expect(env3.CAMELEER_LICENSE_JWKS_PATH).toBe(jwks?.target);
    });

    it('never mounts anything from the keys directory writable', () => {
      for (const [name, s] of services) {
        for (const v of volumesOf(s)) {
          if (/(^|\/)keys(\/|$)/.test(v.source)) {
            expect({ name, volume: v.source, readOnly: v.readOnly }).toEqual({
              name,
              volume: v.source,
              readOnly: true,
            });
          }
        }
      }
    });
  });

  describe('Traefik forwardAuth for tenants', () => {
    const labels = labelsOf(service('cameleer3-server'));
    const forwardAuthLabels = services.flatMap(([, s]) =>
      Object.entries(labelsOf(s)).filter(([k]) => /\.forwardauth\./i.test(k)),
    );
    const fa = (option: string): string | undefined =>
      labels[`traefik.http.middlewares.cameleer-tenant-auth.forwardauth.${option}`];

    it('calls the internal verify endpoint', () => {
      expect(fa('address')).toBe(VERIFY_URL);
      const addresses = forwardAuthLabels.filter(([k]) => /\.forwardauth\.address$/i.test(k)).map(([, v]) => v);
      expect(addresses).toEqual([VERIFY_URL]);
    });

    it('sets trustForwardHeader explicitly and bounds the auth response', () => {
      expect(['true', 'false']).toContain(fa('trustForwardHeader'));
      expect(Number(fa('maxResponseBodySize'))).toBeGreaterThan(0);
    });

    it('does not forward the method or the body to the auth server', () => {
      const options = forwardAuthLabels.map(([k]) => k.toLowerCase());
      expect(options.filter((k) => k.endsWith('.preserverequestmethod') || k.endsWith('.forwardbody'))).toEqual(
        [],
      );
    });

    it(`copies identity headers by the regex ${HEADER_REGEX}`, () => {
      expect(fa('authResponseHeadersRegex')).toBe(HEADER_REGEX);
      const re = goRegexToJs(fa('authResponseHeadersRegex') ?? '');
      expect(re.test('X-Cameleer-Tenant-Id')).toBe(true);
      expect(re.test('x_cameleer_tenant_id')).toBe(true);
      expect(re.test('x-cameleer_user-id')).toBe(true);
      expect(re.test('X-Forwarded-For')).toBe(false);
      expect(re.test('Authorization')).toBe(false);
      expect(re.test('X-Not-Cameleer-Tenant')).toBe(false);
    });

    it('serves metrics on METRICS_PORT, unpublished and behind no router', () => {
      const saas = service('cameleer-saas');
      const metricsPort = (saas.environment as Record<string, string> | undefined)?.METRICS_PORT;
      expect(metricsPort).toBe('9464');
      expect(saas.ports ?? []).toEqual([]);
      const routed = Object.entries(labels).filter(([k, v]) => k.endsWith('.loadbalancer.server.port') && v === metricsPort);
      expect(routed).toEqual([]);
    });

    it('strips client identity headers and then runs forwardAuth on the tenant router', () => {
      const middlewares = (labels['traefik.http.routers.cameleer-tenant.middlewares'] ?? '').split(',');
      const strip = middlewares.indexOf('strip-cameleer-identity@docker');
      const auth = middlewares.indexOf('cameleer-tenant-auth@docker');
      expect(strip).toBeGreaterThanOrEqual(0);
      expect(auth).toBeGreaterThan(strip);
      const stripped = Object.entries(labels).filter(([k]) =>
        k.startsWith('traefik.http.middlewares.strip-cameleer-identity.headers.customRequestHeaders.'),
      );
      expect(stripped.length).toBeGreaterThan(0);
      for (const [k, v] of stripped) {
        expect(v).toBe('');
        expect(goRegexToJs(HEADER_REGEX).test(k.split('.').pop() ?? '')).toBe(true);
      }
      // Exactly the headers the service emits (its one list), no stale names and none missing.
      const strippedNames = stripped.map(([k]) => (k.split('.').pop() ?? '').toLowerCase()).sort();
      expect(strippedNames).toEqual([...IDENTITY_HEADER_NAMES].sort());
    });

    it('routes tenant subdomains of TENANT_BASE_DOMAIN to cameleer3-server, but not the platform hosts', () => {
      const tenant = compileRule(labels['traefik.http.routers.cameleer-tenant.rule'] ?? '');
      const base = env.TENANT_BASE_DOMAIN as string;
      expect(tenant({ host: `acme.${base}`, path: '/' })).toBe(true);
      expect(tenant({ host: `acme-2.${base}`, path: '/api/v1/traces' })).toBe(true);
      expect(tenant({ host: `a.b.${base}`, path: '/' })).toBe(false);
      expect(tenant({ host: base, path: '/' })).toBe(false);
      expect(tenant({ host: `acme.${base}.evil.test`, path: '/' })).toBe(false);
      for (const host of [env.API_HOST, env.LOGTO_HOST, env.LOGTO_ADMIN_HOST, env.EDGE_AUTH_HOST] as string[]) {
        expect({ host, routed: tenant({ host, path: '/' }) }).toEqual({ host, routed: false });
      }
    });

    it("keeps the session cookie from cameleer3-server: forwardAuth's answer replaces the request's Cookie header", () => {
      expect(labels['traefik.http.middlewares.cameleer-tenant-auth.forwardauth.authResponseHeaders']?.split(',').map((name) => name.trim())).toEqual(['Cookie']);
    });

    it('hands the sign-in host to cameleer-saas for the four sign-in paths and the invitation accept page only, above the tenant router', () => {
      const saas = labelsOf(service('cameleer-saas'));
      const edge = compileRule(saas['traefik.http.routers.cameleer-edge-auth.rule'] ?? '');
      const host = env.EDGE_AUTH_HOST as string;
      const invitationPage = '/api/auth/invitations/k3x9q2m7v1c8z4w6b5n0a';
      for (const path of ['/api/auth/login', '/api/auth/callback', '/api/auth/logout', '/api/auth/signed-out', invitationPage]) {
        expect({ path, routed: edge({ host, path }) }).toEqual({ path, routed: true });
      }
      for (const path of [
        '/',
        '/api/auth/verify',
        '/api/auth/sessions',
        '/api/tenants',
        '/api/auth/login/x',
        '/.well-known/jwks.json',
        // The accept page is one id segment: nothing under it, not the bare collection, no other API behind it.
        '/api/auth/invitations',
        '/api/auth/invitations/',
        `${invitationPage}/x`,
        '/api/auth/invitations/a.b',
        `/api/auth/invitations/${'a'.repeat(65)}`,
        '/api/tenants/t1/invitations/abc',
        '/api/webhooks/logto',
      ]) {
        expect({ path, routed: edge({ host, path }) }).toEqual({ path, routed: false });
      }
      // Traefik routes on the normalised path: a dot segment cannot climb from the accept page to another route.
      expect(edge({ host, path: traefikRoutingPath(`${invitationPage}/../../tenants`) })).toBe(false);
      expect(edge({ host: `acme.${env.TENANT_BASE_DOMAIN}`, path: '/api/auth/login' })).toBe(false);
      expect(saas['traefik.http.routers.cameleer-edge-auth.service']).toBe('cameleer-api');
      expect(Number(saas['traefik.http.routers.cameleer-edge-auth.priority'])).toBeGreaterThan(Number(labels['traefik.http.routers.cameleer-tenant.priority'] ?? 0));
      // Under the base domain (the parent-domain cookie reaches it and every tenant), and no other platform host.
      expect(host.endsWith(`.${env.TENANT_BASE_DOMAIN}`)).toBe(true);
      expect([env.API_HOST, env.LOGTO_HOST, env.LOGTO_ADMIN_HOST]).not.toContain(host);
      // The app reads the same value (its sign-in origin and redirect URIs).
      expect((service('cameleer-saas').environment as Record<string, string>).EDGE_AUTH_HOST).toBe(host);
    });
  });

  describe('public routers', () => {
    const routers = publicRouters(compose);
    const hosts = [env.API_HOST, env.LOGTO_HOST, env.LOGTO_ADMIN_HOST, env.EDGE_AUTH_HOST, `acme.${env.TENANT_BASE_DOMAIN}`] as string[];
    // Every spelling of the verify path a client might try on the public side (issue 12: `/api/auth/%76erify`).
    const verifySpellings = [
      '/api/auth/verify',
      '/api/auth/verify/',
      '/api/auth/verify/extra',
      '/api/auth/%76erify',
      '/api/auth/verif%79',
      '/api/auth/%76%65%72%69%66%79',
      '/api/auth/%56ERIFY',
      '/%61pi/auth/verify',
      '/api/auth//verify',
      '//api/auth/verify',
      '/api/./auth/verify',
      '/api/auth/%2e/verify',
      '/api/x/../auth/verify',
      '/api/auth/x/%2E%2E/verify',
      '/API/auth/verify',
      '/api/AUTH/Verify',
    ];
    // Spellings Traefik does not turn into the verify path (a reserved character stays encoded): they may reach the
    // app, which answers 404 to anything but the exact spelling (test/e2e/hardening-verify-path.e2e-spec.ts).
    const encodedReserved = ['/api/auth%2Fverify', '/api%2Fauth%2fverify', '/api/auth/verify%3B', '/api/auth/ver%69fy%3F'];

    it('declares the expected routers', () => {
      expect(routers.map((r) => `${r.service}/${r.router}`).sort()).toEqual([
        'cameleer-saas/cameleer-api',
        'cameleer-saas/cameleer-edge-auth',
        'cameleer3-server/cameleer-tenant',
        'logto/logto',
        'logto/logto-admin',
      ]);
    });

    it('models Traefik: rules see the normalised path (unreserved escapes decoded, dot segments and // removed)', () => {
      expect(traefikRoutingPath('/api/auth/%76erify')).toBe('/api/auth/verify');
      expect(traefikRoutingPath('/api/./auth//x/../verify')).toBe('/api/auth/verify');
      expect(traefikRoutingPath('/api/auth/%2e%2E/verify')).toBe('/api/verify');
      expect(traefikRoutingPath('/api/auth/verify/')).toBe('/api/auth/verify/');
      expect(traefikRoutingPath('/api/auth%2fverify')).toBe('/api/auth%2Fverify');
      expect(traefikRoutingPath('/caf%C3%A9%20x')).toBe(`/caf${String.fromCharCode(0xc3, 0xa9)} x`);
      // The model holds only with path sanitisation on (Traefik's default, set explicitly in the stack).
      const command = [service('traefik').command ?? []].flat();
      expect(command).toContain('--entryPoints.websecure.http.sanitizePath=true');
      expect(command.filter((c) => /sanitizePath=false/i.test(c))).toEqual([]);
    });

    it('excludes every spelling of the verify path from every public router rule', () => {
      for (const router of routers) {
        for (const host of hosts) {
          for (const spelling of verifySpellings) {
            const path = traefikRoutingPath(spelling);
            expect({ router: router.router, host, spelling, matched: router.matches({ host, path }) }).toEqual({
              router: router.router,
              host,
              spelling,
              matched: false,
            });
          }
        }
      }
    });

    it('never forwards the exact verify path to cameleer-saas, in any spelling', () => {
      const api = routers.filter((r) => r.service === 'cameleer-saas');
      for (const spelling of [...verifySpellings, ...encodedReserved]) {
        const routed = api.some((router) => hosts.some((host) => router.matches({ host, path: traefikRoutingPath(spelling) })));
        const forwarded = traefikForwardedPath(spelling);
        // Either no router takes it, or what the app receives is not `/api/auth/verify` (so the app's exact check refuses it).
        expect({ spelling, reachesVerify: routed && (forwarded === '/api/auth/verify' || forwarded.startsWith('/api/auth/verify?')) }).toEqual({
          spelling,
          reachesVerify: false,
        });
      }
      // The reserved-escape spellings do reach the app: that is why it refuses them itself.
      expect(encodedReserved.filter((spelling) => api.some((router) => router.matches({ host: env.API_HOST as string, path: traefikRoutingPath(spelling) })))).toEqual([
        '/api/auth%2Fverify',
        '/api%2Fauth%2fverify',
      ]);
    });

    it('serves /api and /.well-known/jwks.json of cameleer-saas on the API host only', () => {
      const api = routers.find((r) => r.router === 'cameleer-api');
      const host = env.API_HOST as string;
      expect(api?.matches({ host, path: '/api/health' })).toBe(true);
      expect(api?.matches({ host, path: '/api/tenants/acme' })).toBe(true);
      expect(api?.matches({ host, path: '/api/auth/login' })).toBe(true);
      expect(api?.matches({ host, path: '/.well-known/jwks.json' })).toBe(true);
      // Logto's webhook is public there too (its HMAC signature is its credential), though the bootstrap points Logto
      // at the in-network address.
      expect(api?.matches({ host, path: '/api/webhooks/logto' })).toBe(true);
      expect(api?.matches({ host, path: '/' })).toBe(false);
      expect(api?.matches({ host: env.LOGTO_HOST as string, path: '/api/health' })).toBe(false);
    });

    it('routes Logto sign-in/OIDC and the admin console on separate hosts and ports', () => {
      const logto = labelsOf(service('logto'));
      expect(logto['traefik.http.routers.logto.service']).toBe('logto');
      expect(logto['traefik.http.services.logto.loadbalancer.server.port']).toBe('3001');
      expect(logto['traefik.http.routers.logto-admin.service']).toBe('logto-admin');
      expect(logto['traefik.http.services.logto-admin.loadbalancer.server.port']).toBe('3002');
      expect(logto['traefik.http.routers.logto-admin.middlewares']).toContain('logto-admin-allowlist@docker');
      // Operators' networks plus the edge network (Logto reaches its own admin endpoint through Traefik).
      expect(logto['traefik.http.middlewares.logto-admin-allowlist.ipAllowList.sourceRange']?.split(',')).toEqual([
        env.EDGE_SUBNET,
        ...(env.LOGTO_ADMIN_ALLOWED_CIDRS ?? '').split(','),
      ]);
    });

    it('terminates TLS with the ACME resolver on the websecure entrypoint for every router', () => {
      for (const router of routers) {
        const labels = labelsOf(service(router.service));
        expect(labels[`traefik.http.routers.${router.router}.entrypoints`]).toBe('websecure');
        expect(labels[`traefik.http.routers.${router.router}.tls.certresolver`]).toBe('le');
      }
    });
  });

  describe('secrets', () => {
    const secretName = /(PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|PRIVATE_KEY|KEK)/i;
    const credentialsInUrl = /:\/\/[^/\s:@]+:[^/\s@]+@/;

    it('has no inline secret values in any environment map (only ${...} references or env_file)', () => {
      for (const [name, s] of Object.entries(raw.services)) {
        const entries: [string, string][] = Array.isArray(s.environment)
          ? s.environment.map((e) => {
              const eq = e.indexOf('=');
              return eq < 0 ? [e, ''] : [e.slice(0, eq), e.slice(eq + 1)];
            })
          : Object.entries(s.environment ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)]);
        for (const [key, value] of entries) {
          if (secretName.test(key) && value !== '') {
            expect({ name, key, value }).toEqual({ name, key, value: expect.stringMatching(/^\$\{[^}]+\}$/) });
          }
          expect({ name, key, credentialsInUrl: credentialsInUrl.test(value) }).toEqual({
            name,
            key,
            credentialsInUrl: false,
          });
        }
      }
    });

    it('has no literal PASSWORD= / SECRET= assignments anywhere in the file', () => {
      const text = readFileSync(join(repoRoot, 'docker-compose.prod.yml'), 'utf8');
      expect(text).not.toMatch(/(PASSWORD|SECRET|TOKEN)\s*[=:]\s*(?!\$\{)["']?[^\s"'$]/i);
    });

    it('reads service settings from env files that have committed, git-ignored-name examples', () => {
      const gitignore = readFileSync(join(repoRoot, '.gitignore'), 'utf8').split('\n');
      expect(gitignore).toContain('deploy/env/*.env');
      for (const [name, s] of Object.entries(raw.services)) {
        for (const file of [s.env_file ?? []].flat()) {
          expect({ name, file }).toEqual({ name, file: expect.stringMatching(/^\$\{CAMELEER_ENV_DIR:-\.\/deploy\/env\}\/[a-z0-9-]+\.env$/) });
          const example = join(envDir, `${file.split('/').pop() ?? ''}.example`);
          expect({ name, example, exists: existsSync(example) }).toEqual({ name, example, exists: true });
        }
      }
    });

    it('ships only placeholders for secrets in the example env files', () => {
      const examples = readdirSync(envDir).filter((f) => f.endsWith('.env.example'));
      expect(examples.length).toBeGreaterThanOrEqual(6);
      for (const file of examples) {
        for (const [key, value] of Object.entries(readEnvFile(join(envDir, file)))) {
          if (secretName.test(key)) {
            expect({ file, key, value }).toEqual({ file, key, value: expect.stringMatching(/^CHANGE_ME/) });
          }
          const creds = /:\/\/[^/\s:@]+:([^/\s@]+)@/.exec(value);
          if (creds) {
            expect({ file, key, password: creds[1] }).toEqual({
              file,
              key,
              password: expect.stringMatching(/^CHANGE_ME/),
            });
          }
        }
      }
    });

    it('lists every cameleer-saas setting the app reads in its example env file', () => {
      const app = readEnvFile(join(envDir, 'cameleer-saas.env.example'));
      expect(Object.keys(app).sort()).toEqual(
        [
          'NODE_ENV',
          'PORT',
          'FORWARD_AUTH_PORT',
          'DATABASE_URL',
          'LOG_LEVEL',
          'CORS_ORIGINS',
          'PUBLIC_URL',
          'LOGTO_ENDPOINT',
          'LOGTO_INTERNAL_URL',
          'LOGTO_API_RESOURCE',
          'LOGTO_M2M_APP_ID',
          'LOGTO_M2M_APP_SECRET',
          'LOGTO_EDGE_APP_ID',
          'LOGTO_EDGE_APP_SECRET',
          'LOGTO_WEBHOOK_SIGNING_KEY',
          'LOGTO_MANAGEMENT_API_RESOURCE',
          'KEYS_DIR',
          'LICENSE_ISSUER',
          'LICENSE_AUDIENCE',
          'TENANT_BASE_DOMAIN',
          'DEFAULT_TENANT_SLUG',
          'DEFAULT_TENANT_NAME',
          'DEFAULT_TENANT_OWNER',
          'TRUSTED_PROXIES',
        ].sort(),
      );
      expect(app.NODE_ENV).toBe('production');
      // Traefik's forwardAuth address must point at the app's dedicated forward-auth port.
      expect(new URL(VERIFY_URL).port).toBe(app.FORWARD_AUTH_PORT);
      expect(app.KEYS_DIR).toBe('/app/keys');
      expect(app.LOGTO_INTERNAL_URL).toBe('http://logto:3001');
      expect(app.TENANT_BASE_DOMAIN).toBe(env.TENANT_BASE_DOMAIN);
      expect(app.LOGTO_ENDPOINT).toBe(`https://${env.LOGTO_HOST}`);
      expect(app.TRUSTED_PROXIES).toBe(env.EDGE_SUBNET);
    });

    it("points Logto's webhook straight at cameleer-saas inside the compose networks, not through Traefik", () => {
      const saas = service('cameleer-saas');
      const url = new URL((saas.environment as Record<string, string>).LOGTO_WEBHOOK_URL ?? '');
      const app = readEnvFile(join(envDir, 'cameleer-saas.env.example'));
      expect(url.protocol).toBe('http:');
      expect(url.hostname).toBe('cameleer-saas');
      expect(url.port).toBe((saas.environment as Record<string, string>).PORT);
      expect(url.port).toBe(app.PORT);
      expect(url.pathname).toBe('/api/webhooks/logto');
      // Logto can reach it: they share a network. And it is not a public host (no Traefik hop).
      expect(networksOf(service('logto')).filter((network) => networksOf(saas).includes(network))).not.toEqual([]);
      expect([env.API_HOST, env.LOGTO_HOST, env.LOGTO_ADMIN_HOST, env.EDGE_AUTH_HOST]).not.toContain(url.hostname);
      // The signing key is a secret of cameleer-saas.env (the file the app secrets live in), never in the compose file.
      expect(saas.environment as Record<string, string>).not.toHaveProperty('LOGTO_WEBHOOK_SIGNING_KEY');
      expect(saas.environment as Record<string, string>).not.toHaveProperty('LOGTO_WEBHOOK_SIGNING_KEY_PREVIOUS');
      expect(app.LOGTO_WEBHOOK_SIGNING_KEY).toBe('CHANGE_ME');
    });

    it('fails fast when a required value is missing', () => {
      const { API_HOST: _omitted, ...withoutApiHost } = env;
      expect(() => loadCompose(withoutApiHost)).toThrow(/API_HOST must be set/);
      const { EDGE_AUTH_HOST: _noEdge, ...withoutEdgeAuthHost } = env;
      expect(() => loadCompose(withoutEdgeAuthHost)).toThrow(/EDGE_AUTH_HOST must be set/);
      expect(() => interpolate('${ACME_EMAIL?ACME_EMAIL must be set}', {})).toThrow(/ACME_EMAIL must be set/);
    });
  });

  describe('images', () => {
    // Images are checked with their defaults only (no env), so the file itself is pinned.
    const defaultsOnly = Object.entries(raw.services).map(
      ([name, s]) => [name, s.image === undefined ? undefined : interpolate(s.image, {})] as const,
    );

    it.each(defaultsOnly)('%s uses an image pinned to a version (%s)', (_name, image) => {
      expect(image).toBeDefined();
      const tag = imageTag(image ?? '');
      expect(tag).toBeDefined();
      expect(tag).not.toMatch(/^(latest|stable|edge|lts|main|master|nightly|dev|beta|canary)$/i);
      expect(tag).toMatch(/^v?\d+(\.\d+)+/);
    });

    it('pins Traefik to v3 at a patch at least 3.6.14', () => {
      const tag = imageTag(service('traefik').image ?? '') ?? '';
      const [major, minor, patch] = tag.replace(/^v/, '').split('.').map(Number);
      expect(major).toBe(3);
      expect((minor ?? 0) * 1000 + (patch ?? 0)).toBeGreaterThanOrEqual(6 * 1000 + 14);
    });

    it('makes the cameleer3-server image configurable', () => {
      expect(raw.services['cameleer3-server']?.image).toMatch(/^\$\{CAMELEER3_SERVER_IMAGE:-[^}]+\}$/);
    });

    it('builds cameleer-saas from the root Dockerfile', () => {
      expect(service('cameleer-saas').build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
    });
  });

  describe('service specifics', () => {
    it('configures Traefik: https redirect, ACME DNS challenge, docker provider opt-in, ping, access log, no dashboard', () => {
      const command = [service('traefik').command ?? []].flat();
      const expected = [
        '--entryPoints.web.http.redirections.entryPoint.to=websecure',
        '--entryPoints.web.http.redirections.entryPoint.scheme=https',
        '--entryPoints.websecure.address=:443',
        '--providers.docker.exposedByDefault=false',
        '--certificatesResolvers.le.acme.dnsChallenge=true',
        `--certificatesResolvers.le.acme.dnsChallenge.provider=${env.ACME_DNS_PROVIDER}`,
        `--entryPoints.websecure.http.tls.domains[0].sans=*.${env.TENANT_BASE_DOMAIN}`,
        '--ping=true',
        '--accessLog=true',
        '--api.dashboard=false',
      ];
      expect(command).toEqual(expect.arrayContaining(expected));
      expect(command.filter((c) => /api\.insecure|forwardedHeaders\.insecure/i.test(c))).toEqual([]);
      expect(healthTest(service('traefik'))).toBe('CMD traefik healthcheck --ping');
    });

    it('runs cameleer-saas as the fixed non-root uid with its env file', () => {
      const app = service('cameleer-saas');
      expect(app.user).toBe('10001:10001');
      expect(healthTest(app)).toContain("fetch('http://127.0.0.1:3000/api/health')");
    });

    it('seeds Logto with --swe, on distinct ENDPOINT and ADMIN_ENDPOINT, trusting the proxy headers', () => {
      const logto = service('logto');
      expect([logto.entrypoint].flat().join(' ')).toContain('npm run cli db seed -- --swe && npm start');
      const logtoEnv = logto.environment as Record<string, string>;
      expect(logtoEnv.ENDPOINT).toBe(`https://${env.LOGTO_HOST}`);
      expect(logtoEnv.ADMIN_ENDPOINT).toBe(`https://${env.LOGTO_ADMIN_HOST}`);
      expect(logtoEnv.ENDPOINT).not.toBe(logtoEnv.ADMIN_ENDPOINT);
      expect(logtoEnv.TRUST_PROXY_HEADER).toBe('1');
      expect(healthTest(logto)).toContain('/api/status');
      expect(networksOf(logto).sort()).toEqual(['backend', 'edge']);
    });

    it('checks PostgreSQL with pg_isready and initialises both databases from a script', () => {
      expect(healthTest(service('postgres'))).toContain('pg_isready');
      const init = volumesOf(service('postgres')).find((v) => v.target === '/docker-entrypoint-initdb.d');
      expect(init).toEqual({ source: './deploy/postgres/initdb', target: '/docker-entrypoint-initdb.d', readOnly: true });
      const script = readFileSync(join(repoRoot, 'deploy/postgres/initdb/10-create-databases.sh'), 'utf8');
      expect(script).toMatch(/CREATE DATABASE cameleer_saas OWNER cameleer_saas/);
      expect(script).toMatch(/CREATE DATABASE logto OWNER logto/);
      expect(script).toMatch(/PASSWORD :'cameleer_password'/);
      expect(script).toMatch(/PASSWORD :'logto_password'/);
      expect(script).not.toMatch(/PASSWORD '[^']+'/);
    });

    it('checks ClickHouse on /ping and raises its open-files limit', () => {
      const ch = service('clickhouse');
      expect(healthTest(ch)).toContain('http://127.0.0.1:8123/ping');
      expect(ch.ulimits?.nofile).toEqual({ soft: 262144, hard: 262144 });
    });

    it('keeps datastore data in named volumes', () => {
      const named = Object.keys(compose.volumes ?? {});
      expect(volumesOf(service('postgres')).map((v) => v.source)).toContain('postgres-data');
      expect(volumesOf(service('clickhouse')).map((v) => v.source)).toContain('clickhouse-data');
      expect(named).toEqual(expect.arrayContaining(['postgres-data', 'clickhouse-data', 'traefik-acme']));
    });
  });
});
