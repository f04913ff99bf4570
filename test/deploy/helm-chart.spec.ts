/**
 * The Helm chart (deploy/helm/cameleer-saas), proven without a cluster like docker-compose.prod.yml is: `helm lint
 * --strict`, `helm template` with the default values, the production example and a few variants, every rendered
 * object validated against the committed schemas (deploy/helm/schemas: Kubernetes 1.34, Traefik v3.6 CRDs,
 * cert-manager, prometheus-operator), and the platform's security invariants checked on the rendered manifests.
 * helm comes from deploy/helm/tools.sh (HELM_BIN, or its cache folder); without it the tests are skipped with the
 * reason (a failure in CI, CAMELEER_TEST_REQUIRE_ALL=1).
 */
import Ajv, { type ValidateFunction } from 'ajv';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { getMetadataStorage } from 'class-validator';
import { IDENTITY_HEADER_NAMES } from '@app/forward-auth';
import { logtoWebhooksConfigSchema } from '@app/logto-webhooks';
import { generateKeyPair, generateSessionKey, KEY_PURPOSES, revocationsConfigSchema } from '@app/security';
import { tenantsConfigSchema } from '@app/tenants';
import { requiresTool } from '../support/requires-tool';
import { compileRule, repoRoot, traefikRoutingPath } from './compose-support';
import { checkoutReachableBy } from '../support/checkout-access';

const chartDir = join(repoRoot, 'deploy/helm/cameleer-saas');
const schemaDir = join(repoRoot, 'deploy/helm/schemas');
const productionValues = join(chartDir, 'values-production.example.yaml');
const toolsDir = process.env.CAMELEER_HELM_TOOLS_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'cameleer/helm-tools');
const helm = process.env.HELM_BIN ?? join(toolsDir, 'bin/helm');
const haveHelm = requiresTool(helm, ['version', '--short'], 'renders the Helm chart; install it with deploy/helm/tools.sh', (v) => /^v3\.\d+\./.test(v));
const describeWithHelm = haveHelm ? describe : describe.skip;

const NAMESPACE = 'cameleer';
const HEADER_REGEX = '(?i)^x[-_]cameleer[-_]';
const KEY_PURPOSES_MOUNTED = ['license', 'machine', 'platform', 'session'];

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- rendered manifests are checked field by field below
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  automountServiceAccountToken?: boolean;
}

interface Container {
  name: string;
  image: string;
  securityContext: { capabilities: { add?: string[] } } & Record<string, unknown>;
  volumeMounts: { name: string; mountPath: string }[];
}

function runHelm(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(helm, args, { encoding: 'utf8', cwd: repoRoot });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function render(valuesFiles: string[] = [], set: string[] = []): K8sObject[] {
  const args = ['template', 'cameleer', chartDir, '--namespace', NAMESPACE, ...valuesFiles.flatMap((f) => ['-f', f]), ...set.flatMap((s) => ['--set', s])];
  const { status, stdout, stderr } = runHelm(args);
  if (status !== 0) {
    throw new Error(`helm template failed: ${stderr}`);
  }
  return parseAllDocuments(stdout)
    .map((doc) => doc.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

function renderError(set: string[]): string {
  const { status, stderr } = runHelm(['template', 'cameleer', chartDir, '--namespace', NAMESPACE, ...set.flatMap((s) => ['--set', s])]);
  expect(status).not.toBe(0);
  return stderr;
}

function one(objects: K8sObject[], kind: string, predicate: (o: K8sObject) => boolean = () => true): K8sObject {
  const found = objects.filter((o) => o.kind === kind && predicate(o));
  expect({ kind, count: found.length }).toEqual({ kind, count: 1 });
  return found[0] as K8sObject;
}

function all(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

// ---------------------------------------------------------------------------------------------------------------
// Schema validation. The schema files list no unknown field (strict): every object schema with `properties` gets
// additionalProperties: false unless it says otherwise or preserves unknown fields (as kubectl --validate=strict).

const SCHEMA_FILES: Record<string, string> = {
  'v1/ConfigMap': 'kubernetes-1.34/configmap-v1.json',
  'v1/Secret': 'kubernetes-1.34/secret-v1.json',
  'v1/Service': 'kubernetes-1.34/service-v1.json',
  'v1/ServiceAccount': 'kubernetes-1.34/serviceaccount-v1.json',
  'apps/v1/Deployment': 'kubernetes-1.34/deployment-apps-v1.json',
  'batch/v1/Job': 'kubernetes-1.34/job-batch-v1.json',
  'policy/v1/PodDisruptionBudget': 'kubernetes-1.34/poddisruptionbudget-policy-v1.json',
  'autoscaling/v2/HorizontalPodAutoscaler': 'kubernetes-1.34/horizontalpodautoscaler-autoscaling-v2.json',
  'networking.k8s.io/v1/NetworkPolicy': 'kubernetes-1.34/networkpolicy-networking-v1.json',
  'traefik.io/v1alpha1/IngressRoute': 'traefik-v3.6.24/ingressroute-traefik-v1alpha1.json',
  'traefik.io/v1alpha1/Middleware': 'traefik-v3.6.24/middleware-traefik-v1alpha1.json',
  'cert-manager.io/v1/Certificate': 'cert-manager-v1.18.2/certificate-cert-manager-v1.json',
  'monitoring.coreos.com/v1/ServiceMonitor': 'prometheus-operator-v0.93.0/servicemonitor-monitoring-v1.json',
};

function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) {
    return schema.map(strict);
  }
  if (schema === null || typeof schema !== 'object') {
    return schema;
  }
  const node = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, k === 'properties' ? Object.fromEntries(Object.entries(v as object).map(([p, s]) => [p, strict(s)])) : strict(v)]));
  if ('properties' in node && !('additionalProperties' in node) && node['x-kubernetes-preserve-unknown-fields'] !== true) {
    node.additionalProperties = false;
  }
  return node;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const validators = new Map<string, ValidateFunction>();

function validatorFor(object: K8sObject): ValidateFunction | undefined {
  const key = `${object.apiVersion}/${object.kind}`;
  const file = SCHEMA_FILES[key];
  if (file === undefined) {
    return undefined;
  }
  let validate = validators.get(key);
  if (validate === undefined) {
    const schema = strict(JSON.parse(readFileSync(join(schemaDir, file), 'utf8'))) as Record<string, unknown>;
    delete schema['x-source'];
    validate = ajv.compile(schema);
    validators.set(key, validate);
  }
  return validate;
}

function schemaErrors(object: K8sObject): string[] {
  const validate = validatorFor(object);
  if (validate === undefined) {
    return [`no schema for ${object.apiVersion}/${object.kind}`];
  }
  return validate(object) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

// ---------------------------------------------------------------------------------------------------------------

const SCENARIOS: Record<string, { files: string[]; set: string[] }> = {
  defaults: { files: [], set: [] },
  production: { files: [productionValues], set: [] },
  // Every optional branch: secrets from values, a Traefik certificate resolver, no sessions, no metrics, HPA.
  'values-carry-secrets': {
    files: [],
    set: [
      'database.url=postgres://cameleer_saas:pw@db.example.com:5432/cameleer_saas',
      'logto.m2m.appId=m2m',
      'logto.m2m.appSecret=s3cret',
      'traefik.tls.certResolver=le',
      'sessions.enabled=false',
      'metrics.enabled=false',
      'autoscaling.enabled=true',
      'app.defaultTenant.slug=acme',
      'app.defaultTenant.name=Acme',
      'logto.webhook.enabled=false',
    ],
  },
  'webhook-keys-from-values': {
    files: [productionValues],
    set: ['logto.webhook.signingKey=current-key-0123456789abcdef', 'logto.webhook.previousSigningKey=previous-key-0123456789abcdef'],
  },
  'edge-app-from-values': { files: [productionValues], set: ['logto.edgeApp.appId=edge', 'logto.edgeApp.appSecret=edge-secret'] },
  'traefik-cert-resolver': { files: [productionValues], set: ['traefik.tls.certResolver=le', 'traefik.tls.certManager.issuerName='] },
};

describeWithHelm('Helm chart deploy/helm/cameleer-saas', () => {
  const rendered = Object.fromEntries(Object.entries(SCENARIOS).map(([name, { files, set }]) => [name, render(files, set)]));
  const scenarios = Object.keys(SCENARIOS);

  describe('lint and schema validation', () => {
    it.each([
      ['defaults', []],
      ['production', ['-f', productionValues]],
    ])('helm lint --strict passes with the %s values', (_name, args) => {
      const { status, stdout, stderr } = runHelm(['lint', '--strict', chartDir, ...args]);
      expect({ status, out: status === 0 ? '' : `${stdout}${stderr}` }).toEqual({ status: 0, out: '' });
    });

    it.each(scenarios)('validates every object rendered with %s against the Kubernetes and CRD schemas', (name) => {
      const objects = rendered[name] as K8sObject[];
      expect(objects.length).toBeGreaterThan(10);
      for (const object of objects) {
        expect({ object: `${object.kind}/${object.metadata.name}`, errors: schemaErrors(object) }).toEqual({
          object: `${object.kind}/${object.metadata.name}`,
          errors: [],
        });
      }
    });

    it('the validator refuses unknown fields, wrong types and missing required fields', () => {
      const deployment = one(rendered.defaults as K8sObject[], 'Deployment');
      const typo = structuredClone(deployment);
      typo.spec.template.spec.containers[0].readinessProbes = typo.spec.template.spec.containers[0].readinessProbe;
      expect(schemaErrors(typo).join('\n')).toContain('additional properties');
      const wrongType = structuredClone(deployment);
      wrongType.spec.replicas = 'two';
      expect(schemaErrors(wrongType)).not.toEqual([]);
      const middleware = structuredClone(one(rendered.defaults as K8sObject[], 'Middleware', (m) => m.spec.forwardAuth !== undefined));
      middleware.spec.forwardAuth.trustForwardHeaders = false;
      expect(schemaErrors(middleware)).not.toEqual([]);
      expect(schemaErrors({ ...deployment, apiVersion: 'apps/v1beta9' })).toEqual(['no schema for apps/v1beta9/Deployment']);
    });

    it.each([
      [['image.tag=latest'], 'image.tag'],
      [['replicaCount=1'], 'replicaCount'],
      [['hosts.apii=api.example.com'], 'apii'],
      [['hosts.api=API_HOST'], 'hosts.api'],
      [['app.trustedProxies[0]=traefik'], 'trustedProxies'],
      [['keys.purposes={license,machine,platform}'], 'keys.purposes'],
      [['podDisruptionBudget.minAvailable=2'], 'must be below the replica count'],
      [['hosts.edgeAuth=logto.cameleer.example.com'], "is Logto's host"],
      [['app.extraEnv.DB_MIGRATIONS_RUN=true'], 'set by the chart'],
      [['app.extraEnv.LOGTO_EDGE_APP_SECRET=x'], 'looks secret'],
      [['database.existingSecret=', 'database.url='], 'database.existingSecret or database.url'],
      // The bounds of the app's config validation (the spec below compares them), refused before any pod starts.
      [['app.tenants.retentionDays=3651'], 'retentionDays'],
      [['app.tenants.retentionDays=-1'], 'retentionDays'],
      [['app.tenants.retentionDays=1.5'], 'retentionDays'],
      [['app.tenants.purgeIntervalMs=99'], 'purgeIntervalMs'],
      [['app.revocations.retentionSeconds=3599'], 'retentionSeconds'],
      [['app.revocations.clockSkewSeconds=31'], 'clockSkewSeconds'],
      [['logto.webhook.maxBodyBytes=1023'], 'maxBodyBytes'],
      [['logto.webhook.rateLimit.max=0'], 'max'],
      [['logto.webhook.rateLimit.windowMs=3600001'], 'windowMs'],
      [['logto.webhook.signingKey=short'], 'signingKey'],
      [['logto.webhook.existingSecret='], 'logto.webhook.existingSecret or logto.webhook.signingKey'],
      [['app.extraEnv.TENANT_RETENTION_DAYS=5'], 'set by the chart'],
      [['app.extraEnv.LOGTO_WEBHOOK_SIGNING_KEY=0123456789abcdef0123'], 'looks secret'],
      [['app.extraEnv.LOGTO_WEBHOOK_SIGNING_KEY_PREVIOUS=0123456789abcdef0123'], 'looks secret'],
    ])('refuses %j at install time', (set, message) => {
      expect(renderError(set)).toContain(message);
    });
  });

  describe.each(scenarios)('invariants with %s', (name) => {
    const objects = rendered[name] as K8sObject[];
    const config = one(objects, 'ConfigMap').data as Record<string, string>;
    const deployment = one(objects, 'Deployment');
    const job = one(objects, 'Job');
    const pods = [deployment, job].map((o) => ({ name: o.kind, spec: o.spec.template.spec, labels: o.spec.template.metadata.labels as Record<string, string> }));
    const containers = pods.flatMap((p) => (p.spec.containers as Container[]).map((c) => ({ ...c, pod: p.name })));

    it('gives every long-running container startup, liveness and readiness probes on the health endpoints', () => {
      for (const c of deployment.spec.template.spec.containers) {
        expect(c.startupProbe?.httpGet?.path).toBe('/api/health');
        expect(c.livenessProbe?.httpGet?.path).toBe('/api/health');
        expect(c.readinessProbe?.httpGet?.path).toBe('/api/health/ready');
      }
      // The migration Job runs to completion (no port): bounded by a deadline instead.
      expect(job.spec.activeDeadlineSeconds).toBeGreaterThan(0);
    });

    it('runs every pod non-root as uid 10001, read-only, without capabilities, privileges or a service account token', () => {
      for (const pod of pods) {
        expect({ pod: pod.name, ctx: pod.spec.securityContext }).toEqual({
          pod: pod.name,
          ctx: expect.objectContaining({ runAsNonRoot: true, runAsUser: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } }) as unknown,
        });
        expect(pod.spec.automountServiceAccountToken).toBe(false);
        for (const field of ['hostNetwork', 'hostPID', 'hostIPC']) {
          expect(pod.spec[field]).not.toBe(true);
        }
      }
      for (const c of containers) {
        expect({ container: c.name, ctx: c.securityContext }).toEqual({
          container: c.name,
          ctx: expect.objectContaining({
            runAsNonRoot: true,
            allowPrivilegeEscalation: false,
            privileged: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
          }) as unknown,
        });
        expect(c.securityContext.capabilities.add ?? []).toEqual([]);
        // What must be writable is an emptyDir.
        const tmp = (c.volumeMounts as { name: string; mountPath: string }[]).find((m) => m.mountPath === '/tmp');
        const pod = pods.find((p) => p.name === c.pod);
        expect((pod?.spec.volumes as { name: string; emptyDir?: object }[]).find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
      }
      expect(one(objects, 'ServiceAccount').automountServiceAccountToken).toBe(false);
    });

    it('pins every image to a release (no latest, no missing tag)', () => {
      for (const c of containers) {
        const image = String(c.image);
        const tag = /:([^/@]+)(@sha256:[a-f0-9]{64})?$/.exec(image)?.[1];
        expect({ image, tag }).toEqual({ image, tag: expect.stringMatching(/^\d+\.\d+\.\d+/) as unknown });
      }
    });

    it('mounts each key purpose read-only from a Secret with mode 0440 for the fsGroup, under KEYS_DIR', () => {
      const spec = deployment.spec.template.spec;
      const mounts = (spec.containers[0].volumeMounts as { name: string; mountPath: string; readOnly?: boolean }[]).filter((m) => m.mountPath.startsWith('/app/keys'));
      expect(mounts.map((m) => m.mountPath).sort()).toEqual(KEY_PURPOSES_MOUNTED.map((p) => `/app/keys/${p}`));
      // Every purpose the app loads at boot is mounted (a new purpose without its Secret would stop the pods).
      expect(KEY_PURPOSES_MOUNTED).toEqual(expect.arrayContaining([...KEY_PURPOSES]));
      for (const mount of mounts) {
        expect(mount.readOnly).toBe(true);
        const volume = (spec.volumes as { name: string; secret?: { secretName: string; defaultMode: number; items?: unknown } }[]).find((v) => v.name === mount.name);
        expect(volume?.secret?.defaultMode).toBe(0o440);
        expect(volume?.secret?.items).toBeUndefined();
      }
      expect(spec.securityContext.fsGroup).toBe(10001);
      expect(config.KEYS_DIR).toBe('/app/keys');
      // The migration Job needs no key.
      expect((job.spec.template.spec.volumes as { secret?: unknown }[]).filter((v) => v.secret !== undefined)).toEqual([]);
    });

    it('starts the app pods with migrations off and runs them in a pre-install/pre-upgrade hook Job', () => {
      expect(config.DB_MIGRATIONS_RUN).toBe('false');
      const env = deployment.spec.template.spec.containers[0].env as { name: string }[];
      expect(env.map((e) => e.name)).not.toContain('DB_MIGRATIONS_RUN');
      expect(job.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
      const migrator = job.spec.template.spec.containers[0];
      expect(migrator.command).toEqual(['npm', 'run', 'migration:run']);
      const url = (migrator.env as { name: string; valueFrom?: { secretKeyRef?: { name: string } } }[]).find((e) => e.name === 'DATABASE_URL');
      expect(url?.valueFrom?.secretKeyRef?.name).toBeTruthy();
      // A Secret the hook reads exists before the hook runs: the operator's, or a hook Secret of lower weight.
      const hookSecret = objects.find((o) => o.kind === 'Secret' && o.metadata.name === url?.valueFrom?.secretKeyRef?.name);
      if (hookSecret !== undefined) {
        expect(hookSecret.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
        expect(Number(hookSecret.metadata.annotations?.['helm.sh/hook-weight'])).toBeLessThan(Number(job.metadata.annotations?.['helm.sh/hook-weight']));
      }
    });

    it('rolls updates without losing a ready pod, spreads pods across nodes, and keeps the PDB below the replica count', () => {
      expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
      expect((deployment.spec.template.spec.topologySpreadConstraints as { topologyKey: string }[]).map((t) => t.topologyKey)).toContain('kubernetes.io/hostname');
      const pdb = one(objects, 'PodDisruptionBudget');
      const hpa = all(objects, 'HorizontalPodAutoscaler')[0];
      const floor = hpa === undefined ? deployment.spec.replicas : hpa.spec.minReplicas;
      expect(hpa === undefined ? deployment.spec.replicas : deployment.spec.replicas).toBe(hpa === undefined ? floor : undefined);
      expect(floor).toBeGreaterThanOrEqual(2);
      expect(pdb.spec.minAvailable).toBeLessThan(floor);
      expect(pdb.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    });

    describe('Traefik', () => {
      const middlewares = all(objects, 'Middleware');
      const routes = all(objects, 'IngressRoute');
      const forwardAuth = one(objects, 'Middleware', (m) => m.spec.forwardAuth !== undefined).spec.forwardAuth;
      const faService = one(objects, 'Service', (s) => s.metadata.name.endsWith('-forward-auth'));
      const tenants = routes.find((r) => r.metadata.name.endsWith('-tenants'));
      const tenantRoute = tenants?.spec.routes[0];
      const base = String(config.TENANT_BASE_DOMAIN);
      const goRegex = (p: string) => (p.startsWith('(?i)') ? new RegExp(p.slice(4), 'i') : new RegExp(p));

      it('points forwardAuth at the forward-auth Service port (FORWARD_AUTH_PORT), never a public URL', () => {
        const port = faService.spec.ports[0];
        expect(forwardAuth.address).toBe(`http://${faService.metadata.name}.${NAMESPACE}.svc.cluster.local:${port.port}/api/auth/verify`);
        expect(port.targetPort).toBe('forward-auth');
        const containerPort = (deployment.spec.template.spec.containers[0].ports as { name: string; containerPort: number }[]).find((p) => p.name === 'forward-auth');
        expect(String(containerPort?.containerPort)).toBe(config.FORWARD_AUTH_PORT);
        expect(faService.spec.type).toBe('ClusterIP');
        expect(faService.spec.selector).toEqual(deployment.spec.selector.matchLabels);
      });

      it(`copies identity headers by ${HEADER_REGEX} and the rewritten Cookie, without trusting client X-Forwarded-*`, () => {
        expect(forwardAuth.trustForwardHeader).toBe(false);
        expect(forwardAuth.authResponseHeadersRegex).toBe(HEADER_REGEX);
        expect(forwardAuth.authResponseHeaders).toEqual(['Cookie']);
        expect(forwardAuth.maxResponseBodySize).toBeGreaterThan(0);
        expect(forwardAuth.preserveRequestMethod).toBeUndefined();
        expect(forwardAuth.forwardBody).toBeUndefined();
        const re = goRegex(forwardAuth.authResponseHeadersRegex);
        expect(['X-Cameleer-Tenant-Id', 'x_cameleer_tenant_id', 'x-cameleer_subject'].every((h) => re.test(h))).toBe(true);
        expect(['X-Forwarded-For', 'Authorization', 'X-Not-Cameleer-Tenant', 'Cookie'].some((h) => re.test(h))).toBe(false);
      });

      it('strips every identity header the service emits, then runs forwardAuth, on the tenant route', () => {
        const strip = middlewares.find((m) => m.spec.headers !== undefined);
        const stripped = Object.entries(strip?.spec.headers.customRequestHeaders as Record<string, string>);
        for (const [header, value] of stripped) {
          expect({ header, value, matches: goRegex(HEADER_REGEX).test(header) }).toEqual({ header, value: '', matches: true });
        }
        // IDENTITY_HEADER_NAMES plus the signed identity assertion (issue 15) that forward-auth adds.
        const expected = [...new Set([...IDENTITY_HEADER_NAMES, 'x-cameleer-identity'])].sort();
        expect(stripped.map(([h]) => h.toLowerCase()).sort()).toEqual(expected);
        const names = (tenantRoute.middlewares as { name: string }[]).map((m) => m.name);
        expect(names.indexOf(strip?.metadata.name ?? '?')).toBeGreaterThanOrEqual(0);
        expect(names.indexOf(strip?.metadata.name ?? '?')).toBeLessThan(names.indexOf(`${deployment.metadata.name}-forward-auth`));
      });

      it('routes one DNS label under the base domain to the tenant backend, and never the platform hosts', () => {
        const matches = compileRule(tenantRoute.match);
        expect(matches({ host: `acme.${base}`, path: '/' })).toBe(true);
        expect(matches({ host: `acme-2.${base}`, path: '/api/v1/traces' })).toBe(true);
        for (const host of [`a.b.${base}`, base, `acme.${base}.evil.test`, `acme${base}`, config.EDGE_AUTH_HOST, new URL(String(config.PUBLIC_URL)).host, new URL(String(config.LOGTO_ENDPOINT)).host]) {
          if (host !== undefined) {
            expect({ host, routed: matches({ host, path: '/' }) }).toEqual({ host, routed: false });
          }
        }
      });

      it('serves the sign-in paths on the auth host from the API, above the tenant route', () => {
        const auth = routes.find((r) => r.metadata.name.endsWith('-auth-host'));
        if (config.EDGE_AUTH_HOST === undefined) {
          expect(auth).toBeUndefined();
          return;
        }
        const route = auth?.spec.routes[0];
        expect(route.priority).toBeGreaterThan(tenantRoute.priority);
        const matches = compileRule(route.match);
        for (const path of ['/api/auth/login', '/api/auth/callback', '/api/auth/logout', '/api/auth/signed-out']) {
          expect({ path, routed: matches({ host: config.EDGE_AUTH_HOST, path }) }).toEqual({ path, routed: true });
        }
        expect(matches({ host: config.EDGE_AUTH_HOST, path: '/api/tenants' })).toBe(false);
        // The invitation accept page (the link in Logto's invitation email): one id segment, nothing else under it.
        const invitationPage = '/api/auth/invitations/k3x9q2m7v1c8z4w6b5n0a';
        expect(matches({ host: config.EDGE_AUTH_HOST, path: invitationPage })).toBe(true);
        for (const path of ['/api/auth/invitations', '/api/auth/invitations/', `${invitationPage}/x`, '/api/auth/invitations/a.b', `/api/auth/invitations/${'a'.repeat(65)}`, '/api/webhooks/logto']) {
          expect({ path, routed: matches({ host: config.EDGE_AUTH_HOST, path }) }).toEqual({ path, routed: false });
        }
        expect(matches({ host: config.EDGE_AUTH_HOST, path: traefikRoutingPath(`${invitationPage}/../../tenants`) })).toBe(false);
        expect(route.services).toEqual([{ kind: 'Service', name: deployment.metadata.name, port: 'http' }]);
      });

      it("serves Logto's webhook on the API host (its HMAC signature is its credential), not on the tenant or sign-in hosts", () => {
        const api = routes.find((r) => r.metadata.name.endsWith('-api'))?.spec.routes[0];
        expect(compileRule(api.match)({ host: new URL(String(config.PUBLIC_URL)).host, path: '/api/webhooks/logto' })).toBe(true);
        expect(compileRule(tenantRoute.match)({ host: `acme.${base}`, path: '/api/webhooks/logto' })).toBe(true); // the tenant backend's own path, behind forwardAuth
        expect(tenants?.spec.routes[0].services).not.toContainEqual(expect.objectContaining({ name: deployment.metadata.name }));
      });

      it('keeps the verify path, the forward-auth port and the metrics port off every route', () => {
        const hosts = [new URL(String(config.PUBLIC_URL)).host, `acme.${base}`, config.EDGE_AUTH_HOST ?? `auth.${base}`];
        const spellings = ['/api/auth/verify', '/api/auth/verify/', '/api/auth/%76erify', '/API/auth/Verify', '/api/./auth//verify', '/api/x/../auth/verify', '/%61pi/auth/verify'];
        const internalServices = all(objects, 'Service').filter((s) => !(s.spec.ports as { name: string }[]).some((p) => p.name === 'http'));
        for (const route of routes.flatMap((r) => r.spec.routes as { match: string; services: { name: string; port: unknown }[] }[])) {
          const matches = compileRule(route.match);
          for (const host of hosts) {
            for (const spelling of spellings) {
              expect({ rule: route.match, host, spelling, routed: matches({ host, path: traefikRoutingPath(spelling) }) }).toEqual({ rule: route.match, host, spelling, routed: false });
            }
          }
          for (const service of route.services) {
            expect(internalServices.map((s) => s.metadata.name)).not.toContain(service.name);
            expect([config.FORWARD_AUTH_PORT, config.METRICS_PORT, 'forward-auth', 'metrics']).not.toContain(String(service.port));
          }
        }
      });
    });

    it('has a NetworkPolicy: only Traefik reaches the app ports, only the scrapers the metrics port, egress only to the listed peers', () => {
      const policy = one(objects, 'NetworkPolicy');
      expect((policy.spec.policyTypes as string[]).sort()).toEqual(['Egress', 'Ingress']);
      for (const pod of pods) {
        for (const [k, v] of Object.entries(policy.spec.podSelector.matchLabels as Record<string, string>)) {
          expect({ pod: pod.name, label: k, value: pod.labels[k] }).toEqual({ pod: pod.name, label: k, value: v });
        }
      }
      const ingress = policy.spec.ingress as { from: object[]; ports: { port: string }[] }[];
      const appRule = ingress.find((r) => r.ports.some((p) => p.port === 'http'));
      expect(appRule?.ports.map((p) => p.port).sort()).toEqual(['forward-auth', 'http']);
      expect(appRule?.from).toEqual([
        expect.objectContaining({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': expect.any(String) as unknown } }, podSelector: expect.anything() as unknown }),
      ]);
      for (const rule of ingress) {
        expect(rule.from.length).toBeGreaterThan(0);
        if (rule !== appRule) {
          expect(rule.ports.map((p) => p.port)).toEqual(['metrics']);
        }
      }
      const egress = policy.spec.egress as { to: object[]; ports: { port: number }[] }[];
      expect(egress.length).toBeGreaterThanOrEqual(3);
      for (const rule of egress) {
        expect(rule.to.length).toBeGreaterThan(0);
        expect(rule.ports.length).toBeGreaterThan(0);
      }
      expect(egress[0]?.ports.map((p) => p.port)).toContain(53);
    });

    it('keeps secrets out of the ConfigMap and reads them from Secrets', () => {
      for (const name of Object.keys(config)) {
        expect(name).not.toMatch(/SECRET|PASSWORD|DATABASE_URL|SIGNING_KEY/);
      }
      const env = deployment.spec.template.spec.containers[0].env as { name: string; value?: string; valueFrom?: { secretKeyRef?: object } }[];
      for (const e of env) {
        expect({ name: e.name, fromSecret: e.value === undefined && e.valueFrom?.secretKeyRef !== undefined }).toEqual({ name: e.name, fromSecret: true });
      }
      expect(env.map((e) => e.name)).toEqual(expect.arrayContaining(['DATABASE_URL', 'LOGTO_M2M_APP_ID', 'LOGTO_M2M_APP_SECRET']));
      // The webhook's keys come with its settings: both or neither (the webhook is optional).
      const webhookKeys = env.filter((e) => e.name.startsWith('LOGTO_WEBHOOK_SIGNING_KEY')).map((e) => e.name);
      expect(webhookKeys).toEqual(config.LOGTO_WEBHOOK_RATE_LIMIT_MAX === undefined ? [] : ['LOGTO_WEBHOOK_SIGNING_KEY', 'LOGTO_WEBHOOK_SIGNING_KEY_PREVIOUS']);
      // The rotation's previous key is optional in the Secret; the current one is not.
      const previous = env.find((e) => e.name === 'LOGTO_WEBHOOK_SIGNING_KEY_PREVIOUS')?.valueFrom?.secretKeyRef as { optional?: boolean } | undefined;
      const current = env.find((e) => e.name === 'LOGTO_WEBHOOK_SIGNING_KEY')?.valueFrom?.secretKeyRef as { optional?: boolean } | undefined;
      expect([current?.optional, previous?.optional]).toEqual(webhookKeys.length === 0 ? [undefined, undefined] : [undefined, true]);
      // No Secret's value shows up in the ConfigMap.
      const configValues = new Set(Object.values(config));
      for (const secret of all(objects, 'Secret')) {
        for (const value of Object.values({ ...secret.stringData, ...secret.data })) {
          expect({ secret: secret.metadata.name, inConfigMap: configValues.has(value) }).toEqual({ secret: secret.metadata.name, inConfigMap: false });
        }
      }
    });

    it('puts the tenant retention, revocation and webhook settings into the ConfigMap', () => {
      expect(config).toMatchObject({ TENANT_RETENTION_DAYS: '30', TENANT_PURGE_INTERVAL_MS: '3600000', REVOCATION_RETENTION_SECONDS: '86400', REVOCATION_CLOCK_SKEW_SECONDS: '2' });
      if (config.LOGTO_WEBHOOK_RATE_LIMIT_MAX !== undefined) {
        expect(config).toMatchObject({ LOGTO_WEBHOOK_MAX_BODY_BYTES: '65536', LOGTO_WEBHOOK_RATE_LIMIT_MAX: '1200', LOGTO_WEBHOOK_RATE_LIMIT_WINDOW_MS: '60000' });
      }
    });
  });

  it('renders the retention, revocation and webhook values as integers the app parses, at the bounds too', () => {
    const config = one(
      render([], [
        'app.tenants.retentionDays=0',
        'app.tenants.purgeIntervalMs=86400000',
        'app.revocations.retentionSeconds=2592000',
        'app.revocations.clockSkewSeconds=30',
        'logto.webhook.maxBodyBytes=16777216',
        'logto.webhook.rateLimit.max=100000',
        'logto.webhook.rateLimit.windowMs=3600000',
      ]),
      'ConfigMap',
    ).data as Record<string, string>;
    // Not "8.64e+07": YAML numbers reach the templates as floats.
    expect(config).toMatchObject({
      TENANT_RETENTION_DAYS: '0',
      TENANT_PURGE_INTERVAL_MS: '86400000',
      REVOCATION_RETENTION_SECONDS: '2592000',
      REVOCATION_CLOCK_SKEW_SECONDS: '30',
      LOGTO_WEBHOOK_MAX_BODY_BYTES: '16777216',
      LOGTO_WEBHOOK_RATE_LIMIT_MAX: '100000',
      LOGTO_WEBHOOK_RATE_LIMIT_WINDOW_MS: '3600000',
    });
  });

  it("bounds the chart's values exactly as the app's config validation does, with the same defaults", () => {
    type Tree = { [key: string]: Tree | undefined } | undefined;
    const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8')) as Tree;
    const values = parseAllDocuments(readFileSync(join(chartDir, 'values.yaml'), 'utf8'))[0]?.toJS() as Tree;
    const at = (root: Tree, path: string[]): Tree => path.reduce<Tree>((node, key) => node?.[key], root);
    const schemaAt = (path: string[]): Tree => at(schema, path.flatMap((key) => ['properties', key]));
    const chartValues: [env: new () => object, variable: string, path: string[]][] = [
      [tenantsConfigSchema.env, 'TENANT_RETENTION_DAYS', ['app', 'tenants', 'retentionDays']],
      [tenantsConfigSchema.env, 'TENANT_PURGE_INTERVAL_MS', ['app', 'tenants', 'purgeIntervalMs']],
      [revocationsConfigSchema.env, 'REVOCATION_RETENTION_SECONDS', ['app', 'revocations', 'retentionSeconds']],
      [revocationsConfigSchema.env, 'REVOCATION_CLOCK_SKEW_SECONDS', ['app', 'revocations', 'clockSkewSeconds']],
      [logtoWebhooksConfigSchema.env, 'LOGTO_WEBHOOK_MAX_BODY_BYTES', ['logto', 'webhook', 'maxBodyBytes']],
      [logtoWebhooksConfigSchema.env, 'LOGTO_WEBHOOK_RATE_LIMIT_MAX', ['logto', 'webhook', 'rateLimit', 'max']],
      [logtoWebhooksConfigSchema.env, 'LOGTO_WEBHOOK_RATE_LIMIT_WINDOW_MS', ['logto', 'webhook', 'rateLimit', 'windowMs']],
    ];
    for (const [env, variable, path] of chartValues) {
      const rules = getMetadataStorage().getTargetValidationMetadatas(env, '', true, false).filter((m) => m.propertyName === variable);
      const bound = (name: string) => rules.find((m) => m.name === name)?.constraints[0] as number | undefined;
      const app = { type: rules.some((m) => m.name === 'isInt') ? 'integer' : 'other', minimum: bound('min'), maximum: bound('max'), default: (new env() as Record<string, unknown>)[variable] };
      const node = schemaAt(path);
      const chart = { type: node?.type, minimum: node?.minimum, maximum: node?.maximum, default: at(values, path) };
      expect({ variable, ...chart }).toEqual({ variable, ...app });
    }
  });

  it('creates the webhook Secret from the values, the previous key only during a rotation, and reads the keys from it', () => {
    const objects = rendered['webhook-keys-from-values'] as K8sObject[];
    const secret = one(objects, 'Secret', (s) => s.metadata.name.endsWith('-logto-webhook'));
    expect(secret.stringData).toEqual({ LOGTO_WEBHOOK_SIGNING_KEY: 'current-key-0123456789abcdef', LOGTO_WEBHOOK_SIGNING_KEY_PREVIOUS: 'previous-key-0123456789abcdef' });
    const env = one(objects, 'Deployment').spec.template.spec.containers[0].env as { name: string; valueFrom: { secretKeyRef: { name: string } } }[];
    expect(env.filter((e) => e.name.startsWith('LOGTO_WEBHOOK_')).map((e) => e.valueFrom.secretKeyRef.name)).toEqual([secret.metadata.name, secret.metadata.name]);
    const current = one(render([productionValues], ['logto.webhook.signingKey=current-key-0123456789abcdef']), 'Secret', (s) => s.metadata.name.endsWith('-logto-webhook'));
    expect(current.stringData).toEqual({ LOGTO_WEBHOOK_SIGNING_KEY: 'current-key-0123456789abcdef' });
  });

  it('creates no Secret by default: every credential is the operator’s', () => {
    expect(all(rendered.defaults as K8sObject[], 'Secret')).toEqual([]);
    expect(all(rendered['values-carry-secrets'] as K8sObject[], 'Secret').map((s) => s.metadata.name).sort()).toEqual([
      'cameleer-cameleer-saas-database',
      'cameleer-cameleer-saas-logto-m2m',
      'cameleer-cameleer-saas-migrations',
    ]);
  });

  it('wires the metrics port to the scrapers: a ServiceMonitor on the metrics Service when enabled', () => {
    const objects = rendered.production as K8sObject[];
    const monitor = one(objects, 'ServiceMonitor');
    const metrics = one(objects, 'Service', (s) => s.metadata.name.endsWith('-metrics'));
    for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels as Record<string, string>)) {
      expect(metrics.metadata.labels?.[k]).toBe(v);
    }
    expect(monitor.spec.endpoints[0].port).toBe('metrics');
    expect(all(rendered['values-carry-secrets'] as K8sObject[], 'ServiceMonitor')).toEqual([]);
  });

  it('issues one certificate for the API, sign-in and every tenant host when a cert-manager issuer is named', () => {
    const objects = rendered.production as K8sObject[];
    const config = one(objects, 'ConfigMap').data as Record<string, string>;
    const certificate = one(objects, 'Certificate');
    expect(certificate.spec.dnsNames).toEqual(
      expect.arrayContaining([new URL(String(config.PUBLIC_URL)).host, `*.${config.TENANT_BASE_DOMAIN}`, config.EDGE_AUTH_HOST]),
    );
    for (const route of all(objects, 'IngressRoute')) {
      expect(route.spec.tls).toEqual({ secretName: certificate.spec.secretName });
    }
  });

  it('asks a Traefik certificate resolver for the same hosts when one is named instead', () => {
    const objects = rendered['traefik-cert-resolver'] as K8sObject[];
    const config = one(objects, 'ConfigMap').data as Record<string, string>;
    expect(all(objects, 'Certificate')).toEqual([]);
    for (const route of all(objects, 'IngressRoute')) {
      expect(route.spec.tls).toEqual({
        certResolver: 'le',
        domains: [{ main: config.TENANT_BASE_DOMAIN, sans: [`*.${config.TENANT_BASE_DOMAIN}`, new URL(String(config.PUBLIC_URL)).host, config.EDGE_AUTH_HOST] }],
      });
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The key mount as the kubelet lays it out, read by the app's own key loader as uid 10001 in the pod's fsGroup.

const runningAsRoot = process.geteuid?.() === 0;
if (!runningAsRoot && process.env.CAMELEER_TEST_REQUIRE_ALL === '1') {
  throw new Error('helm-chart.spec.ts needs root (chown builds the Kubernetes Secret layout)');
}
// The pod's user is an unprivileged uid like nobody: a checkout nobody can reach cannot be loaded as the pod either.
const nobody = { uid: 65534, gid: 65534, name: 'nobody' };
const describeAsRoot = haveHelm && runningAsRoot && checkoutReachableBy(nobody, 'the chart key-mount test (the app’s key loader)') ? describe : describe.skip;
if (!runningAsRoot) {
  process.stdout.write('skipped (needs root to chown): the Kubernetes Secret key layout of helm-chart.spec.ts\n');
}

describeAsRoot('the chart’s key mounts pass the app’s key permission rule', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('loads every keyring from Secret volumes laid out like the kubelet does, with the rendered defaultMode and fsGroup', () => {
    const deployment = one(render(), 'Deployment');
    const spec = deployment.spec.template.spec;
    const fsGroup = spec.securityContext.fsGroup as number;
    const uid = spec.securityContext.runAsUser as number;
    const mode = (spec.volumes as { secret?: { defaultMode: number } }[]).find((v) => v.secret !== undefined)?.secret?.defaultMode as number;
    expect(mode).toBe(0o440);

    dir = mkdtempSync(join(tmpdir(), 'helm-keys-'));
    chmodSync(dir, 0o755); // the image's /app/keys: root-owned, not writable by the app
    const keysDir = join(dir, 'keys');
    mkdirSync(keysDir, { mode: 0o755 });
    for (const purpose of KEY_PURPOSES) {
      if (purpose === 'session') {
        generateSessionKey({ dir: keysDir });
      } else {
        generateKeyPair({ dir: keysDir, purpose });
      }
      mountAsKubernetesSecret(join(keysDir, purpose), fsGroup, mode);
    }

    // loadKeys: what the app loads at boot, every signing purpose and the session keys.
    const loader = `const { loadKeys } = require('./libs/security/src/keys/load-keyring.ts');
      const { keyrings, session } = loadKeys({ dir: process.argv[1], development: false, signingKids: {} });
      process.stdout.write(JSON.stringify([...Object.keys(keyrings), ...(session.kids().length > 0 ? ['session'] : [])].sort()));`;
    const run = (groups: { gid: number }) =>
      spawnSync(process.execPath, ['-r', './scripts/register-ts.js', '-e', loader, keysDir], { cwd: repoRoot, encoding: 'utf8', uid, gid: groups.gid });

    const asPod = run({ gid: fsGroup });
    expect({ status: asPod.status, stdout: asPod.stdout, stderr: asPod.stderr }).toEqual({ status: 0, stdout: JSON.stringify([...KEY_PURPOSES].sort()), stderr: '' });
    // Without the fsGroup the files are another group's 0440 files: the boot stops, naming the first one.
    const withoutGroup = run({ gid: 54_321 });
    expect(withoutGroup.status).not.toBe(0);
    expect(withoutGroup.stderr).toMatch(/KeyringError: current-key file \S+\/license\/current is not readable \(EACCES\)/);
  });
});

/** The kubelet's Secret volume: root-owned sticky 1777 folder, files in a timestamped folder behind `..data`, `<name> -> ..data/<name>`. */
function mountAsKubernetesSecret(folder: string, fsGroup: number, mode: number): void {
  const names = readdirSync(folder);
  const timestamped = '..2026_11_30_12_00_00.000000001';
  mkdirSync(join(folder, timestamped));
  chownSync(join(folder, timestamped), 0, fsGroup);
  chmodSync(join(folder, timestamped), 0o755);
  for (const name of names) {
    renameSync(join(folder, name), join(folder, timestamped, name));
    chownSync(join(folder, timestamped, name), 0, fsGroup);
    chmodSync(join(folder, timestamped, name), mode);
    symlinkSync(join('..data', name), join(folder, name));
  }
  symlinkSync(timestamped, join(folder, '..data'));
  chownSync(folder, 0, fsGroup);
  chmodSync(folder, 0o1777);
}
