import { execFileSync } from 'node:child_process';
import type { Socket } from 'node:net';
import supertest from 'supertest';
import { routeTable, RouteEntry } from '../../apps/api/src/route-table';
import { AgentKeys, agentKeys } from '../support/agent-fixtures';
import { portOf, recordErrorLogs, tableDigests } from '../support/hardening';
import { rawHttp, RawHttpAnswer } from '../support/raw-http';
import { startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';
import { openRawConnection } from '../support/raw-connection';
import { eventually } from '../support/eventually';
import { itOnServer } from '../support/test-database';
import { startTestApp, TestApp } from '../support/test-app';

// Issue 12, "How to prove it": every route × malformed, oversized, deep, NUL, wrong-type and unicode inputs → 4xx
// problem+json, zero 5xx, zero rows changed. The routes come from the controllers (routeTable) and their body and
// query fields from the app's own OpenAPI document, so a new route or field is swept without touching this file
// (a new path parameter needs a fixture value in paramValues: the sweep fails until it has one). Every request goes out as
// the caller the route admits, so what is exercised is validation, not authentication.

const PUBLIC_URL = 'http://127.0.0.1:3000';
const BASE = 'sweep.cameleer.test';

/** One hostile request and what it must get. */
interface Attack {
  readonly what: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: Buffer;
  /** Must be refused (4xx). Otherwise (an input the route does not read) any answer but a 5xx will do. */
  readonly mustRefuse: boolean;
  /** The body field the attack is in: a VALIDATION_FAILED answer must name it (not another field's problem). */
  readonly field?: string;
}

interface OpenApiSchema {
  type?: string;
  $ref?: string;
  properties?: Record<string, OpenApiSchema>;
  oneOf?: OpenApiSchema[];
}
interface OpenApiOperation {
  parameters?: { name: string; in: string; schema?: OpenApiSchema }[];
  requestBody?: { content?: Record<string, { schema?: OpenApiSchema }> };
}
interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, OpenApiSchema> };
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const nested = (depth: number) => Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`);

// Bodies refused by the JSON parser whatever the route (so they are safe to send to writes that read no body).
const PARSER_ATTACKS: readonly [string, Buffer, string?][] = [
  ['malformed JSON', Buffer.from('{"a":')],
  ['JSON nested 40 deep', nested(40)],
  ['an escaped NUL in a key', Buffer.from('{"a\\u0000":1}')],
  ['an escaped NUL in a value', Buffer.from('{"a":"x\\u0000"}')],
  ['an unpaired surrogate', Buffer.from('{"a":"\\udc00"}')],
  ['invalid UTF-8', Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')])],
  ['a body over the limit', Buffer.from(`{"a":"${'x'.repeat(70_000)}"}`)],
  ['a text/plain body', Buffer.from('hello'), 'text/plain'],
  ['a form body', Buffer.from('a=1'), 'application/x-www-form-urlencoded'],
  ['a JSON body declared as UTF-16', Buffer.from('{}'), 'application/json; charset=utf-16'],
];

// Whole bodies of the wrong shape, for routes that take a body.
const SHAPE_ATTACKS: readonly [string, Buffer][] = [
  ['an array body', json([])],
  ['a string body', json('x')],
  ['a number body', json(1)],
  ['a null body', json(null)],
  ['a boolean body', json(true)],
  ['an empty body', Buffer.alloc(0)],
  ['a __proto__ key', Buffer.from('{"__proto__":{"polluted":1}}')],
  ['a constructor.prototype key', Buffer.from('{"constructor":{"prototype":{"polluted":1}}}')],
];

// Strings no field of this API accepts: each has a format, a catalog or the display-text rule.
const HOSTILE_STRINGS: readonly [string, string][] = [
  ['a 5000-character string', 'x'.repeat(5000)],
  ['a blank string', '   '],
  ['a right-to-left override', 'ab\u202Ecd'],
  ['a line separator', 'ab\u2028cd'],
  ['a lone zero-width space', '\u200B'],
  ['a tab and a newline', 'a\tb\nc'],
  ['an escaped NUL', 'a\u0000b'],
  ['an unpaired surrogate', 'a\uD800b'],
];
const NOT_A_STRING: readonly [string, unknown][] = [
  ['a number', 123],
  ['a boolean', true],
  ['an array', ['x']],
  ['an object', { a: 1 }],
];
const HOSTILE_NUMBERS: readonly [string, unknown][] = [
  ['a numeric string', '10'],
  ['a fraction', 1.5],
  ['a negative number', -1],
  ['an integer past 2^53', 2 ** 60],
  ['a boolean', true],
  ['an array', [1]],
  ['an object', { a: 1 }],
];
const HOSTILE_ARRAYS: readonly [string, unknown][] = [
  ['a string', 'x'],
  ['an object', { a: 1 }],
  ['an array of numbers', [1]],
  ['an array of nulls', [null]],
  ['an array of 1000 items', Array.from({ length: 1000 }, (_, index) => `f${index}`)],
  ['an array holding a bidi override', ['ab\u202Ecd']],
];
const HOSTILE_OTHER: readonly [string, unknown][] = [
  ['a number', 123],
  ['a boolean', true],
  ['an array', []],
  ['an object with an unknown field', { zzzUnknown: 1 }],
  ['a 5000-character string', 'x'.repeat(5000)],
  ['a right-to-left override', 'ab\u202Ecd'],
];

// Path parameter values no route can resolve (the real ones come from the fixtures).
const HOSTILE_PARAMS: readonly [string, string][] = [
  ['not a UUID', 'not-a-uuid'],
  ['an unknown UUID', '00000000-0000-4000-8000-000000000000'],
  ['a NUL', '%00'],
  ['invalid UTF-8', '%FF'],
  ['a bidi override', '%E2%80%AE'],
  ['an emoji', '%F0%9F%8E%89'],
  ['300 characters', 'a'.repeat(300)],
  ['an encoded traversal', '..%2F..%2Fhealth'],
  ['SQL', "1'%20OR%20'1'%3D'1"],
  ['a space', '%20'],
];
// Query values: [what, value, refused even by a free-text parameter (a search term)].
const HOSTILE_QUERY_VALUES: readonly [string, string, boolean][] = [
  ['a word', 'abc', false],
  ['zero', '0', false],
  ['a negative number', '-1', false],
  ['a fraction', '1.5', false],
  ['a huge number', '1e400', false],
  ['a bidi override', '%E2%80%AE', false],
  ['200 characters', 'x'.repeat(200), true],
  ['a NUL', 'a%00', true],
  ['invalid UTF-8', '%C0%AF', true],
];
const HOSTILE_IF_MATCH = ['garbage', 'W/"abc"', 'W/"99999999999999999999"', `"${'9'.repeat(3000)}"`];
const HOSTILE_IDEMPOTENCY_KEYS = ['x'.repeat(300), 'has space', 'caf\u00e9', '\t'];

/** Valid bodies to mutate one field at a time (a route missing here is attacked from `{}`). */
function baseBodies(keys: AgentKeys): Record<string, Record<string, unknown>> {
  return {
    'POST /api/tenants': { slug: 'sweep-fresh', name: 'Sweep Fresh' },
    'PATCH /api/tenants/:id': { name: 'Renamed' },
    'POST /api/tenants/:id/license': { tier: 'pro' },
    'POST /api/tenants/:id/license/revoke': { reason: 'sweep' },
    'POST /api/tenants/:id/bootstrap-tokens': { label: 'sweep' },
    'POST /api/agents/register': { name: 'sweep-agent', environment: 'prod', publicKey: keys.publicPem },
    'POST /api/agents/token': { assertion: 'x' },
    'POST /api/event-subscriptions': { url: 'https://hooks.example.com/cameleer', events: ['tenant.*'] },
    'PUT /api/tenants/:id/members/:userId/roles': { roles: ['owner'] },
    'POST /api/tenants/:id/invitations': { email: 'sweep-invitee@example.com', role: 'owner' },
    // Unsigned, so every mutation is refused 401 before it is parsed: the sweep proves none of them is a 500.
    'POST /api/webhooks/logto': { event: 'User.Created', params: {} },
  };
}

function hostileValuesFor(schema: OpenApiSchema | undefined): readonly [string, unknown][] {
  switch (schema?.type) {
    case 'string':
      return [...NOT_A_STRING, ...HOSTILE_STRINGS];
    case 'number':
    case 'integer':
      return HOSTILE_NUMBERS;
    case 'array':
      return HOSTILE_ARRAYS;
    default:
      return HOSTILE_OTHER;
  }
}

function openApiPath(route: RouteEntry): string {
  return route.path.replace(/:(\w+)/g, '{$1}');
}

function bodySchema(document: OpenApiDocument, operation: OpenApiOperation | undefined): OpenApiSchema | undefined {
  const schema = operation?.requestBody?.content?.['application/json']?.schema;
  const ref = schema?.$ref?.split('/').pop();
  return ref !== undefined ? document.components.schemas[ref] : schema;
}

function attacksOn(route: RouteEntry, document: OpenApiDocument, params: Record<string, string>, keys: AgentKeys): Attack[] {
  const operation = document.paths[openApiPath(route)]?.[route.method.toLowerCase()];
  const write = route.method !== 'GET';
  const pathWith = (overrides: Record<string, string> = {}) => route.path.replace(/:(\w+)/g, (_match, name: string) => {
    const value = overrides[name] ?? params[name];
    if (value === undefined) {
      throw new Error(`no value for :${name} of ${route.method} ${route.path}: give it a value in paramValues (beforeAll)`);
    }
    return value;
  });
  const path = pathWith();
  const base = route.readsBody ? (baseBodies(keys)[`${route.method} ${route.path}`] ?? {}) : undefined;
  const baseBody = base === undefined ? undefined : json(base);
  const attacks: Attack[] = [];

  // The URL, refused for every route before any of them runs.
  for (const [what, query] of [['a NUL in the query', 'x=%00'], ['invalid UTF-8 in the query', 'x=%FF%FE'], ['an encoded surrogate in the query', 'x=%ED%A0%80']]) {
    attacks.push({ what: what as string, path: `${path}?${query as string}`, body: baseBody, mustRefuse: true });
  }
  attacks.push({ what: 'a 20 kB query string', path: `${path}?x=${'a'.repeat(20_000)}`, body: baseBody, mustRefuse: true });

  for (const name of route.params) {
    for (const [what, value] of HOSTILE_PARAMS) {
      attacks.push({ what: `:${name} ${what}`, path: pathWith({ [name]: value }), body: baseBody, mustRefuse: true });
    }
  }

  if (route.readsQuery) {
    // Declared query parameters, plus the pagination every list takes; a string without an enum is free text.
    const declared = new Map((operation?.parameters ?? []).filter((parameter) => parameter.in === 'query').map((parameter) => [parameter.name, parameter.schema]));
    const freeText = (name: string) => declared.get(name)?.type === 'string' && (declared.get(name) as { enum?: unknown }).enum === undefined;
    attacks.push({ what: 'an unknown query parameter', path: `${path}?zzzUnknown=1`, mustRefuse: true });
    for (const name of new Set([...declared.keys(), 'page', 'pageSize'])) {
      for (const [what, value, refusedAsText] of HOSTILE_QUERY_VALUES) {
        attacks.push({ what: `?${name}= ${what}`, path: `${path}?${name}=${value}`, mustRefuse: refusedAsText || !freeText(name) });
      }
      attacks.push({ what: `?${name} twice`, path: `${path}?${name}=1&${name}=2`, mustRefuse: true });
      attacks.push({ what: `?${name}[]`, path: `${path}?${name}%5B%5D=1`, mustRefuse: true });
    }
  }

  const headers = (operation?.parameters ?? []).filter((parameter) => parameter.in === 'header').map((parameter) => parameter.name.toLowerCase());
  if (headers.includes('if-match')) {
    for (const value of HOSTILE_IF_MATCH) {
      attacks.push({ what: `If-Match ${value.slice(0, 30)}`, path, headers: { 'if-match': value }, body: baseBody, mustRefuse: true });
    }
  }
  if (headers.includes('idempotency-key')) {
    for (const value of HOSTILE_IDEMPOTENCY_KEYS) {
      attacks.push({ what: `Idempotency-Key ${JSON.stringify(value.slice(0, 30))}`, path, headers: { 'idempotency-key': value }, body: baseBody, mustRefuse: true });
    }
  }

  // Bodies. A GET never reads one (Fastify does not parse it): sent anyway, it must not cause a 5xx.
  for (const [what, body, contentType] of PARSER_ATTACKS) {
    attacks.push({ what, path, body, headers: contentType === undefined ? {} : { 'content-type': contentType }, mustRefuse: write });
  }
  if (route.readsBody && base !== undefined) {
    for (const [what, body] of SHAPE_ATTACKS) {
      attacks.push({ what, path, body, mustRefuse: true });
    }
    attacks.push({ what: 'an unknown field', path, body: json({ ...base, zzzUnknown: 1 }), mustRefuse: true, field: 'zzzUnknown' });
    const properties = bodySchema(document, operation)?.properties ?? {};
    for (const [field, schema] of Object.entries(properties)) {
      for (const [what, value] of hostileValuesFor(schema)) {
        attacks.push({ what: `${field}: ${what}`, path, body: json({ ...base, [field]: value }), mustRefuse: true, field });
      }
    }
  }
  return attacks;
}

/** Why an answer breaks the sweep's rules, or undefined when it keeps them. */
function violation(attack: Attack, answer: RawHttpAnswer): string | undefined {
  if (answer.status >= 500) {
    return `${answer.status}`;
  }
  if (attack.mustRefuse && (answer.status < 400 || answer.status >= 500)) {
    return `accepted with ${answer.status}`;
  }
  if (answer.status < 400) {
    return undefined;
  }
  if (!/^application\/problem\+json/.test(String(answer.headers['content-type']))) {
    return `${answer.status} as ${String(answer.headers['content-type'])}, not problem+json: ${answer.body.slice(0, 80)}`;
  }
  let problem: { status?: unknown; code?: unknown; requestId?: unknown; errors?: { field: string }[] };
  try {
    problem = JSON.parse(answer.body) as typeof problem;
  } catch {
    return `${answer.status} with a body that is not JSON`;
  }
  if (problem.status !== answer.status || typeof problem.code !== 'string' || typeof problem.requestId !== 'string') {
    return `${answer.status}: not the problem shape: ${answer.body.slice(0, 120)}`;
  }
  if (attack.field !== undefined && problem.code === 'VALIDATION_FAILED') {
    const named = (problem.errors ?? []).some(({ field }) => field === attack.field || field.startsWith(`${attack.field}.`));
    if (!named) {
      return `VALIDATION_FAILED without naming ${attack.field}: ${JSON.stringify(problem.errors)}`;
    }
  }
  return undefined;
}

/** Every row of the database (sequences included), without pg_dump's per-run \\restrict key lines. */
function pgDump(url: string): string {
  const dump = execFileSync('pg_dump', ['--data-only', '--no-owner', '--no-privileges', url], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return dump
    .split('\n')
    .filter((line) => !/^\\(un)?restrict /.test(line))
    .join('\n');
}

describe('hardening: hostile-input sweep over every route', () => {
  let logto: TenantsIdp;
  let testApp: TestApp;
  let errorLogs: ReturnType<typeof recordErrorLogs>;
  let keys: AgentKeys;
  const callers: Record<string, string> = {};
  const paramValues: Record<string, string> = {};

  beforeAll(async () => {
    logto = await startTenantsIdp();
    await logto.ensureOwnerRole();
    // No background work during the sweep: the reconciler's boot run is over before the first dump.
    testApp = await startTestApp(
      logto.env({
        TENANT_BASE_DOMAIN: BASE,
        PUBLIC_URL,
        AGENT_RATE_LIMIT_MAX: '100000',
        TENANT_RECONCILE_INTERVAL_MS: '3600000',
        LOGTO_WEBHOOK_SIGNING_KEY: 'sweep-webhook-signing-key-000000',
        LOGTO_WEBHOOK_RATE_LIMIT_MAX: '100000',
      }),
    );
    const api = supertest(testApp.server);
    const operator = await logto.operatorToken();
    const tenant = await api.post('/api/tenants').auth(operator, { type: 'bearer' }).send({ slug: 'sweep', name: 'Sweep' }).expect(201);
    const tenantId = tenant.body.id as string;
    await api.post(`/api/tenants/${tenantId}/license`).auth(operator, { type: 'bearer' }).send({ tier: 'pro', limits: { maxAgents: 10 } }).expect(201);
    const minted = await api.post(`/api/tenants/${tenantId}/bootstrap-tokens`).auth(operator, { type: 'bearer' }).send({ maxUses: 100 }).expect(201);
    keys = agentKeys();
    const agent = await api.post('/api/agents/register').auth(minted.body.token as string, { type: 'bearer' }).send({ name: 'a1', publicKey: agentKeys().publicPem }).expect(201);
    Object.assign(callers, { logto: operator, 'agent-bootstrap': minted.body.token as string, agent: agent.body.accessToken as string });
    // :sub names a user (operators end their sessions); the sweep's user has none, so nothing is ended.
    // :userId and :invitationId name no member or invitation of the sweep's tenant: nothing can be changed through them.
    Object.assign(paramValues, { id: tenantId, agentId: agent.body.agentId as string, tokenId: minted.body.id as string, sub: 'sweepuser001', userId: 'sweepuser002', invitationId: 'sweepinvitation000001' });
  });
  beforeEach(() => {
    errorLogs = recordErrorLogs();
  });
  afterEach(() => {
    errorLogs.restore();
  });
  afterAll(async () => {
    await testApp?.close();
    await logto?.stop();
  });

  function callerOf(route: RouteEntry): Record<string, string> {
    if (route.isPublic) {
      return {};
    }
    const kind = route.policy?.scheme === 'machine' ? route.policy.kinds[0] : route.policy?.scheme;
    const token = kind === undefined ? undefined : callers[kind];
    if (token === undefined) {
      throw new Error(`no caller for ${route.method} ${route.path} (${JSON.stringify(route.policy)})`);
    }
    return { authorization: `Bearer ${token}` };
  }

  it.each([
    ['bytes that are not HTTP', 'NOT HTTP AT ALL\r\n\r\n', 400],
    ['a header line without a colon', 'GET /api/health HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n', 400],
    ['headers over 16 KiB', `GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
  ])("answers %s, refused by Node's parser before any route, in the problem shape and closes", async (_name, bytes, status) => {
    const sockets: Socket[] = [];
    try {
      const connection = await openRawConnection(portOf(testApp), sockets);
      connection.socket.write(bytes);
      await eventually(() => expect(connection.closed()).toBe(true), { within: 5000 });
      const [head = '', body = ''] = connection.received().split('\r\n\r\n');
      expect(head).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
      expect(head).toMatch(/\r\ncontent-type: application\/problem\+json\r\n/i);
      expect(JSON.parse(body)).toMatchObject({ status, code: expect.any(String), requestId: expect.any(String) });
    } finally {
      sockets.forEach((socket) => socket.destroy());
    }
  });

  itOnServer('pg_dump compares the whole database before and after the sweep')(
    'answers every hostile input on every route with 4xx problem+json: no 5xx, no error log, no row changed',
    async () => {
      const document = (await supertest(testApp.server).get('/api/openapi.json').expect(200)).body as OpenApiDocument;
      const routes = routeTable(testApp.app);
      expect(routes.length).toBeGreaterThan(20);
      const port = portOf(testApp);
      const before = pgDump(testApp.database.url);
      expect(before).toMatch(/^COPY public\.tenants /m);
      const violations: string[] = [];
      const rowChanges: string[] = [];
      let sent = 0;
      for (const route of routes) {
        const digests = await tableDigests(testApp);
        for (const attack of attacksOn(route, document, paramValues, keys)) {
          const headers: Record<string, string> = { ...callerOf(route), ...attack.headers };
          if (attack.body !== undefined) {
            headers['content-type'] ??= 'application/json';
          }
          let answer: RawHttpAnswer;
          try {
            answer = await rawHttp(port, { method: route.method, path: attack.path, headers, body: attack.body });
          } catch (error) {
            violations.push(`${route.method} ${route.path} with ${attack.what}: no answer (${(error as Error).message})`);
            continue;
          }
          sent += 1;
          const problem = violation(attack, answer);
          if (problem !== undefined) {
            violations.push(`${route.method} ${route.path} with ${attack.what}: ${problem}`);
          }
        }
        const after = await tableDigests(testApp);
        const changed = Object.keys(after).filter((table) => after[table] !== digests[table]);
        if (changed.length > 0) {
          rowChanges.push(`${route.method} ${route.path} changed ${changed.join(', ')}`);
        }
      }
      process.stdout.write(`hostile-input sweep: ${sent} requests over ${routes.length} routes\n`);
      expect(sent).toBeGreaterThan(500);
      expect(violations).toEqual([]);
      expect(rowChanges).toEqual([]);
      expect(errorLogs.lines).toEqual([]);
      expect(pgDump(testApp.database.url)).toBe(before);
    },
    120_000,
  );
});
