import { execFile } from 'node:child_process';
import { createPublicKey, randomUUID, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { eventually } from '../support/eventually';
import { itWithTool } from '../support/requires-tool';
import { startTestApp, TestApp } from '../support/test-app';
import { startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';

interface Received {
  readonly body: string;
  readonly event: { id: string; position: string; type: string; tenantId: string | null; data: Record<string, unknown> };
  readonly signature: string;
}

/** A webhook receiver on loopback: records what it accepts; `answer` decides each response (or drops the connection). */
class Receiver {
  readonly received: Received[] = [];
  hits = 0;
  answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(204).end();
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.hits++;
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const answer = this.answer;
        answer(req, res);
        if (res.statusCode >= 200 && res.statusCode < 300 && !res.destroyed) {
          this.received.push({ body, event: JSON.parse(body) as Received['event'], signature: String(req.headers['x-cameleer-signature']) });
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

type Page = { items: Received['event'][]; next: string };

/**
 * Issue 16, the signed event feed: webhook subscribers on real loopback HTTP servers (EVENTS_ALLOW_INSECURE_TARGETS),
 * signatures checked against the platform JWKS fetched over HTTP, the pull feed, dead letters and redelivery.
 */
describe('event feed: pull, signed webhooks, dead letters', () => {
  let logto: TenantsIdp;
  let testApp: TestApp;
  let operator: string;
  const receivers: Receiver[] = [];

  const api = () => request(testApp.server);
  const bearer = (token = operator) => ({ authorization: `Bearer ${token}` });
  const receiver = () => {
    const created = new Receiver();
    receivers.push(created);
    return created;
  };
  const createTenant = async (): Promise<string> => {
    const slug = `ev-${randomUUID().slice(0, 8)}`;
    const created = await api().post('/api/tenants').set(bearer()).send({ slug, name: `Tenant ${slug}` });
    expect(created.status).toBe(201);
    return (created.body as { id: string }).id;
  };
  const feed = async (after: string): Promise<Page> => (await api().get(`/api/events?after=${after}&limit=1000`).set(bearer()).expect(200)).body as Page;
  const subscribe = async (url: string, events: string[]): Promise<string> =>
    ((await api().post('/api/event-subscriptions').set(bearer()).send({ url, events }).expect(201)).body as { id: string }).id;
  const subscription = async (id: string) => (await api().get(`/api/event-subscriptions/${id}`).set(bearer()).expect(200)).body as { pending: number; dead: number };

  beforeAll(async () => {
    logto = await startTenantsIdp();
    testApp = await startTestApp(
      logto.env({
        EVENTS_ALLOW_INSECURE_TARGETS: 'true',
        EVENTS_POLL_MS: '50',
        EVENTS_RETRY_BASE_MS: '20',
        EVENTS_MAX_ATTEMPTS: '4',
        EVENTS_DELIVERY_TIMEOUT_MS: '2000',
      }),
    );
    operator = await logto.idp.mintUserToken({ sub: `events-${randomUUID().slice(0, 8)}`, scopes: ['platform:read', 'platform:write'] });
  });
  afterAll(async () => {
    await Promise.all(receivers.map((each) => each.stop()));
    await testApp?.close();
    await logto?.stop();
  });

  it('a subscriber that is down, then up, receives every event once, in order per tenant, each signature verifying against the JWKS', async () => {
    const hook = receiver();
    const url = await hook.start();
    // Down: the first three connections are dropped without an answer.
    let dropped = 0;
    hook.answer = (req, res) => {
      if (dropped < 3) {
        dropped++;
        req.socket.destroy();
        return;
      }
      res.writeHead(204).end();
    };
    const start = (await feed('0')).next;
    const id = await subscribe(url, ['tenant.*', 'license.*']);

    const tenants = [await createTenant(), await createTenant()];
    for (const tenant of tenants) {
      await api().post(`/api/tenants/${tenant}/suspend`).set(bearer()).expect(200);
      await api().patch(`/api/tenants/${tenant}`).set(bearer()).send({ name: 'Renamed' }).expect(200);
      await api().post(`/api/tenants/${tenant}/resume`).set(bearer()).expect(200);
      await api().post(`/api/tenants/${tenant}/license`).set(bearer()).send({ tier: 'pro' }).expect(201);
    }
    const expected = (await feed(start)).items.filter((event) => event.tenantId !== null && tenants.includes(event.tenantId));
    expect(expected.map((event) => event.type)).toEqual(
      expect.arrayContaining(['tenant.created', 'tenant.suspended', 'tenant.updated', 'tenant.resumed', 'license.issued']),
    );
    expect(expected).toHaveLength(10);

    await eventually(
      async () => {
        expect(new Set(hook.received.map((each) => each.event.id)).size).toBe(expected.length);
        expect((await subscription(id)).pending).toBe(0);
      },
      { within: 20_000 },
    );
    expect(dropped).toBe(3);

    // Every event once (a duplicate, allowed by at-least-once, would carry the same id and body).
    const firstOf = new Map<string, Received>();
    for (const each of hook.received) {
      const first = firstOf.get(each.event.id);
      if (first === undefined) {
        firstOf.set(each.event.id, each);
      } else {
        expect(each.body).toBe(first.body);
      }
    }
    expect([...firstOf.keys()].sort()).toEqual(expected.map((event) => event.id).sort());
    for (const tenant of tenants) {
      const arrived = [...firstOf.values()].filter((each) => each.event.tenantId === tenant).map((each) => each.event.id);
      expect(arrived).toEqual(expected.filter((event) => event.tenantId === tenant).map((event) => event.id));
    }

    // Signed with the platform key, as published at /.well-known/platform-jwks.json (fetched over HTTP).
    const jwks = (await (await fetch(`${await testApp.app.getUrl()}/.well-known/platform-jwks.json`)).json()) as { keys: { kid: string }[] };
    for (const { body, signature } of hook.received) {
      const match = /^t=(\d+),kid=([A-Za-z0-9_-]+),sig=([A-Za-z0-9_-]+)$/.exec(signature);
      expect(match).not.toBeNull();
      const [, t, kid, sig] = match!;
      expect(Math.abs(Number(t) - Date.now() / 1000)).toBeLessThan(300);
      const jwk = jwks.keys.find((key) => key.kid === kid);
      expect(jwk).toBeDefined();
      const key = createPublicKey({ key: jwk as never, format: 'jwk' });
      expect(verify(null, Buffer.from(`${t}.${body}`), key, Buffer.from(sig!, 'base64url'))).toBe(true);
      expect(verify(null, Buffer.from(`${t}.${body} `), key, Buffer.from(sig!, 'base64url'))).toBe(false);
    }
  });

  itWithTool('java', ['-version'], 'the JDK verification snippet of docs/event-feed.md', (text) => /version "(1[5-9]|[2-9]\d)/.test(text))(
    'a real delivery verifies with the JDK snippet of docs/event-feed.md; a changed body or another key does not',
    async () => {
      const hook = receiver();
      await subscribe(await hook.start(), ['tenant.created']);
      const tenant = await createTenant();
      const delivery = await eventually(
        () => {
          const found = hook.received.find((each) => each.event.tenantId === tenant);
          expect(found).toBeDefined();
          return found!;
        },
        { within: 10_000 },
      );
      const jwks = (await (await fetch(`${await testApp.app.getUrl()}/.well-known/platform-jwks.json`)).json()) as { keys: { kid: string; x: string }[] };
      const kid = /kid=([^,]+)/.exec(delivery.signature)![1]!;
      const jwk = jwks.keys.find((key) => key.kid === kid)!;
      const snippet = /```java\n([\s\S]*?)```/.exec(readFileSync(join(__dirname, '..', '..', 'docs', 'event-feed.md'), 'utf8'))?.[1];
      expect(snippet).toBeDefined();
      const work = mkdtempSync(join(tmpdir(), 'delivery-check-'));
      try {
        const source = join(work, 'DeliveryCheck.java');
        writeFileSync(source, snippet!);
        writeFileSync(join(work, 'body.json'), delivery.body);
        writeFileSync(join(work, 'changed.json'), delivery.body.replace('tenant.created', 'tenant.deleted'));
        const java = async (bodyFile: string, x: string) => {
          try {
            return { code: 0, stdout: (await promisify(execFile)('java', [source, delivery.signature, join(work, bodyFile), x, kid], { encoding: 'utf8' })).stdout };
          } catch (error) {
            return { code: (error as { code: number }).code, stdout: (error as { stdout: string }).stdout };
          }
        };
        expect(await java('body.json', jwk.x)).toEqual({ code: 0, stdout: `OK ${delivery.body}\n` });
        expect(await java('changed.json', jwk.x)).toEqual({ code: 1, stdout: 'INVALID bad signature\n' });
        const otherKey = Buffer.from(jwk.x, 'base64url');
        otherKey[0] = otherKey[0]! ^ 1;
        expect((await java('body.json', otherKey.toString('base64url'))).code).toBe(1);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    },
  );

  it('does not follow a redirect; the delivery becomes a dead letter, visible in the API, until redelivered', async () => {
    const elsewhere = receiver();
    const elsewhereUrl = await elsewhere.start();
    const hook = receiver();
    const url = await hook.start();
    hook.answer = (_req, res) => res.writeHead(302, { location: elsewhereUrl }).end();
    const id = await subscribe(url, ['tenant.suspended']);
    const tenant = await createTenant();
    await api().post(`/api/tenants/${tenant}/suspend`).set(bearer()).expect(200);

    await eventually(async () => expect(await subscription(id)).toMatchObject({ pending: 0, dead: 1 }), { within: 20_000 });
    expect(elsewhere.hits).toBe(0);
    expect(hook.hits).toBe(4);
    const dead = (await api().get(`/api/event-subscriptions/${id}/dead-letters`).set(bearer()).expect(200)).body as { items: { eventId: string; lastError: string; attempts: number }[]; total: number };
    expect(dead.total).toBe(1);
    expect(dead.items[0]).toMatchObject({ lastError: 'HTTP 302', attempts: 4 });

    hook.answer = (_req, res) => res.writeHead(200).end('ok');
    expect((await api().post(`/api/event-subscriptions/${id}/redeliver`).set(bearer()).expect(200)).body).toEqual({ redelivered: 1 });
    await eventually(() => expect(hook.received.map((each) => each.event.id)).toEqual([dead.items[0]!.eventId]), { within: 10_000 });
    expect(hook.received[0]!.event).toMatchObject({ type: 'tenant.suspended', tenantId: tenant });
    await eventually(async () => expect(await subscription(id)).toMatchObject({ pending: 0, dead: 0 }), { within: 5000 });

    const audit = (await api().get(`/api/audit-events?action=event_subscription.redelivered`).set(bearer()).expect(200)).body as { items: { targetId: string }[] };
    expect(audit.items.map((each) => each.targetId)).toContain(id);
  });

  it('ends a subscription: nothing more is delivered to it, and it is gone from the list', async () => {
    const hook = receiver();
    const id = await subscribe(await hook.start(), ['tenant.*']);
    await api().delete(`/api/event-subscriptions/${id}`).set(bearer()).expect(204);
    await api().delete(`/api/event-subscriptions/${id}`).set(bearer()).expect(404);
    await createTenant();
    const list = (await api().get('/api/event-subscriptions?pageSize=100').set(bearer()).expect(200)).body as { items: { id: string }[] };
    expect(list.items.map((each) => each.id)).not.toContain(id);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(hook.hits).toBe(0);
  });

  it('a data-plane token minted by an operator reads the feed and nothing else', async () => {
    const minted = await api().post('/api/events/tokens').set(bearer()).send({ name: 'cameleer3-server-eu1', ttlSeconds: 3600 }).expect(201);
    const { token, tokenId } = minted.body as { token: string; tokenId: string };
    const tenant = await createTenant();
    const page = (await api().get('/api/events?after=0&limit=1000').set(bearer(token)).expect(200)).body as Page;
    expect(page.items).toContainEqual(expect.objectContaining({ type: 'tenant.created', tenantId: tenant }));
    await api().get('/api/event-subscriptions').set(bearer(token)).expect(401);
    await api().post('/api/event-subscriptions').set(bearer(token)).send({ url: 'http://127.0.0.1/x', events: ['tenant.*'] }).expect(401);
    await api().get('/api/tenants').set(bearer(token)).expect(401);
    await api().post('/api/events/tokens').set(bearer(token)).send({ name: 'again' }).expect(401);
    const tampered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
    await api().get('/api/events').set(bearer(tampered)).expect(401);
    for (const body of [{ name: 'Bad Name' }, { name: 'ok', ttlSeconds: 91 * 86_400 }, { name: 'ok', ttlSeconds: 10 }, {}]) {
      await api().post('/api/events/tokens').set(bearer()).send(body).expect(400);
    }
    const audit = (await api().get('/api/audit-events?action=data_plane_token.minted').set(bearer()).expect(200)).body as { items: { targetId: string }[] };
    expect(audit.items.map((each) => each.targetId)).toContain(tokenId);
  });

  it('refuses bad input with a 4xx problem and callers without the platform scopes', async () => {
    const readOnlyOperator = await logto.idp.mintUserToken({ sub: 'read-only-operator', scopes: ['platform:read'] });
    await api().get('/api/events').expect(401);
    await api().post('/api/event-subscriptions').set(bearer(readOnlyOperator)).send({ url: 'http://127.0.0.1/x', events: ['tenant.*'] }).expect(403);
    for (const query of ['after=-1', 'after=abc', 'after=99999999999999999999', 'limit=0', 'limit=1001', 'limit=x']) {
      const response = await api().get(`/api/events?${query}`).set(bearer()).expect(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
    for (const body of [
      { url: 'http://127.0.0.1/x', events: [] },
      { url: 'http://127.0.0.1/x', events: ['tenant.exploded'] },
      { url: 'http://127.0.0.1/x', events: ['*'] },
      { url: 'http://127.0.0.1/x', events: 'tenant.*' },
      { url: 'ftp://127.0.0.1/x', events: ['tenant.*'] },
      { url: 'http://user:pw@127.0.0.1/x', events: ['tenant.*'] },
      { url: 'x'.repeat(3000), events: ['tenant.*'] },
    ]) {
      const response = await api().post('/api/event-subscriptions').set(bearer()).send(body);
      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
    await api().get('/api/event-subscriptions/not-a-uuid').set(bearer()).expect(404);
    await api().post(`/api/event-subscriptions/${randomUUID()}/redeliver`).set(bearer()).expect(404);
  });
});

/** Without EVENTS_ALLOW_INSECURE_TARGETS: https only, and never a loopback, private or link-local address. */
describe('event feed: webhook targets in production mode', () => {
  let logto: TenantsIdp;
  let testApp: TestApp;
  let operator: string;

  beforeAll(async () => {
    logto = await startTenantsIdp();
    testApp = await startTestApp(logto.env());
    operator = await logto.idp.mintUserToken({ sub: `events-${randomUUID().slice(0, 8)}`, scopes: ['platform:read', 'platform:write'] });
  });
  afterAll(async () => {
    await testApp?.close();
    await logto?.stop();
  });

  it.each([
    'http://hooks.example.com/x',
    'https://127.0.0.1/x',
    'https://localhost/x',
    'https://[::1]/x',
    'https://169.254.169.254/latest/meta-data/',
    'https://10.0.0.8/x',
    'https://192.168.1.1/x',
    'https://[::ffff:127.0.0.1]/x',
    'https://[fe80::1]/x',
    'https://0x7f000001/x',
  ])('refuses %s', async (url) => {
    const response = await request(testApp.server).post('/api/event-subscriptions').set({ authorization: `Bearer ${operator}` }).send({ url, events: ['tenant.*'] });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'TARGET_NOT_ALLOWED' });
  });
});
