import { INTERCEPTORS_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core/injector/modules-container';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { LicenseVerifier, VerifiedLicense } from '@app/licensing';
import { IdempotencyInterceptor } from '@app/service-core';
import { StripTokensFromIdempotencyKeys1795966300000 } from '../../apps/api/src/database/migrations/1795966300000-StripTokensFromIdempotencyKeys';
import { findSecrets, tokenSecrets } from '../support/agent-fixtures';
import { rowCounts } from '../support/hardening';
import { startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';
import { sql } from '../support/tenant-rows';
import { startTestApp, TestApp } from '../support/test-app';

// Finding 15: license tokens sat for 24 h in idempotency_keys.response_body, so that a replay could return them.
// A route now declares the secret fields of its response (@Idempotent({ fields, restoredBy })): they are never
// stored, and a replay gets them made anew for the same record (a license token signed again: same jti and claims).

/** A compact JWS (a JOSE header always starts with `{"`, base64url `eyJ`) anywhere in a text. */
const COMPACT_JWS = 'eyJ[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+';

/** Every route that honours Idempotency-Key, each exercised below. A new one must be added here, its secrets declared. */
const IDEMPOTENT_ROUTES = ['POST /api/tenants', 'POST /api/tenants/:id/bootstrap-tokens', 'POST /api/tenants/:id/license'];

interface IdempotencyRow {
  state: string;
  response_status: number;
  response_body: Record<string, unknown>;
  /** The whole row as JSON text: what a token search must not find anything in. */
  as_text: string;
}

describe('hardening: no token or secret at rest in idempotency_keys', () => {
  let logto: TenantsIdp;
  let testApp: TestApp;
  let operator: string;
  let verifier: LicenseVerifier;
  /** Every token this spec was handed: none may be anywhere in the database. */
  const secrets: string[] = [];

  const api = () => request(testApp.server);
  const auth = () => ({ authorization: `Bearer ${operator}` });
  const url = () => testApp.database.url;
  const issue = (tenantId: string, body: Record<string, unknown>, key?: string) => {
    const call = api().post(`/api/tenants/${tenantId}/license`).set(auth());
    return (key === undefined ? call : call.set('idempotency-key', key)).send(body);
  };
  const licenses = async (tenantId: string) => Number((await sql<{ n: string }>(url(), 'SELECT count(*) AS n FROM licenses WHERE tenant_id = $1', [tenantId]))[0]?.n);
  const rowsOfKey = (key: string) =>
    sql<IdempotencyRow>(url(), `SELECT k.state, k.response_status, k.response_body, row_to_json(k)::text AS as_text FROM idempotency_keys k WHERE idempotency_key = $1`, [key]);
  /** The tokens of a response, remembered for the final search. */
  const remember = (token: unknown): string => {
    expect(typeof token).toBe('string');
    secrets.push(...tokenSecrets(token as string));
    return token as string;
  };
  /** What a license token says about its license: every claim but those of the token's own life. */
  const licenseClaims = ({ claims }: VerifiedLicense) => {
    const { iat, nbf, exp, ...license } = claims as unknown as Record<string, unknown>;
    expect([iat, nbf, exp].every((value) => typeof value === 'number')).toBe(true);
    return license;
  };

  const createTenant = async (): Promise<string> => {
    const slug = `nt-${randomUUID().slice(0, 8)}`;
    const response = await api().post('/api/tenants').set(auth()).set('idempotency-key', randomUUID()).send({ slug, name: `Tenant ${slug}` }).expect(201);
    return (response.body as { id: string }).id;
  };

  beforeAll(async () => {
    logto = await startTenantsIdp();
    await logto.ensureOwnerRole();
    testApp = await startTestApp(logto.env());
    operator = await logto.operatorToken();
    verifier = LicenseVerifier.fromJwksUrl(new URL('/.well-known/jwks.json', await testApp.app.getUrl()), {
      issuer: 'https://cameleer.local',
      audience: 'cameleer3-server',
    });
  });
  afterAll(async () => {
    await testApp?.close();
    await logto?.stop();
  });

  it('stores a license issue without its token; a replay is the same license with a token signed anew', async () => {
    const tenantId = await createTenant();
    const key = randomUUID();
    const first = await issue(tenantId, { tier: 'pro', limits: { maxAgents: 7 } }, key).expect(201);
    const firstToken = remember(first.body.token);

    const [stored, ...others] = await rowsOfKey(key);
    expect(others).toEqual([]);
    expect(stored).toMatchObject({ state: 'COMPLETED', response_status: 201 });
    // The record (the reference a replay rebuilds from) is kept; the token is not, in any column.
    const { token: _token, ...record } = first.body as Record<string, unknown>;
    expect(stored?.response_body).toEqual(record);
    expect(stored?.as_text).not.toMatch(new RegExp(COMPACT_JWS));
    expect(await findSecrets(url(), tokenSecrets(firstToken))).toEqual([]);

    const replay = await issue(tenantId, { tier: 'pro', limits: { maxAgents: 7 } }, key).expect(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.headers['cache-control']).toBe('no-store');
    const replayToken = remember(replay.body.token);
    expect(replay.body).toEqual({ ...record, token: replayToken });
    const [original, again] = await Promise.all([verifier.verify(firstToken), verifier.verify(replayToken)]);
    expect(again.claims.jti).toBe(first.body.id);
    expect(again.claims.sub).toBe(tenantId);
    expect(licenseClaims(again)).toEqual(licenseClaims(original));
    expect(await licenses(tenantId)).toBe(1);
    // Replaying stores nothing either.
    expect((await rowsOfKey(key))[0]?.as_text).not.toMatch(new RegExp(COMPACT_JWS));
    expect(await findSecrets(url(), tokenSecrets(replayToken))).toEqual([]);

    const reused = await issue(tenantId, { tier: 'free' }, key).expect(422);
    expect(reused.headers['content-type']).toContain('application/problem+json');
    expect(reused.body).toMatchObject({ status: 422, code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(reused.body.token).toBeUndefined();
    expect(await licenses(tenantId)).toBe(1);
  });

  it.each([
    ['superseded', (tenantId: string) => issue(tenantId, { tier: 'free' }).expect(201)],
    ['revoked', (tenantId: string) => api().post(`/api/tenants/${tenantId}/license/revoke`).set(auth()).send({ reason: 'test' }).expect(200)],
  ])('refuses to sign a token on a replay once the license was %s (409 LICENSE_NO_LONGER_USABLE), and writes nothing', async (_label, change) => {
    const tenantId = await createTenant();
    const key = randomUUID();
    const first = await issue(tenantId, { tier: 'pro' }, key).expect(201);
    remember(first.body.token);
    const changed = await change(tenantId);
    if (typeof changed.body.token === 'string') {
      remember(changed.body.token);
    }
    const before = await rowCounts(testApp);
    const replay = await issue(tenantId, { tier: 'pro' }, key).expect(409);
    expect(replay.headers['content-type']).toContain('application/problem+json');
    expect(replay.body).toMatchObject({ status: 409, code: 'LICENSE_NO_LONGER_USABLE' });
    expect(JSON.stringify(replay.body)).not.toMatch(new RegExp(COMPACT_JWS));
    expect(await rowCounts(testApp)).toEqual(before);
    // The key stays used: the license it issued is history, not something to issue again.
    expect((await issue(tenantId, { tier: 'pro' }, key).expect(409)).body.code).toBe('LICENSE_NO_LONGER_USABLE');
  });

  it('refuses a replay for a suspended tenant like any refresh (409 TENANT_NOT_ACTIVE)', async () => {
    const tenantId = await createTenant();
    const key = randomUUID();
    remember((await issue(tenantId, { tier: 'pro' }, key).expect(201)).body.token);
    await api().post(`/api/tenants/${tenantId}/suspend`).set(auth()).expect(200);
    const replay = await issue(tenantId, { tier: 'pro' }, key).expect(409);
    expect(replay.body).toMatchObject({ status: 409, code: 'TENANT_NOT_ACTIVE' });
    expect(replay.body.token).toBeUndefined();
  });

  it('stores a bootstrap-token mint without its token; a replay carries a new token for the same row', async () => {
    const tenantId = await createTenant();
    const key = randomUUID();
    const mint = () => api().post(`/api/tenants/${tenantId}/bootstrap-tokens`).set(auth()).set('idempotency-key', key).send({ maxUses: 3 });
    const first = await mint().expect(201);
    const firstToken = remember(first.body.token);
    const [stored] = await rowsOfKey(key);
    expect(stored?.response_body).toMatchObject({ id: first.body.id, tenantId, maxUses: 3 });
    expect(stored?.response_body).not.toHaveProperty('token');
    expect(stored?.as_text).not.toMatch(new RegExp(COMPACT_JWS));

    const replay = await mint().expect(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const replayToken = remember(replay.body.token);
    expect(replayToken).not.toBe(firstToken);
    const { token: _first, ...view } = first.body as Record<string, unknown>;
    expect(replay.body).toEqual({ ...view, token: replayToken });
    // The replayed token names the same row (its sub), so its uses and expiry are the first token's.
    const claims = JSON.parse(Buffer.from(replayToken.split('.')[1] ?? '', 'base64url').toString()) as { sub: string };
    expect(claims.sub).toBe(first.body.id);
  });

  it('strips tokens that responses stored before this change still hold (migration 1795966300000); their replay re-signs', async () => {
    const tenantId = await createTenant();
    const key = randomUUID();
    const first = await issue(tenantId, { tier: 'starter' }, key).expect(201);
    const oldToken = remember(first.body.token);
    // The row as the previous release stored it: the response with its token.
    await sql(url(), `UPDATE idempotency_keys SET response_body = jsonb_set(response_body, '{token}', to_jsonb($2::text)) WHERE idempotency_key = $1`, [key, oldToken]);
    expect(await findSecrets(url(), tokenSecrets(oldToken))).toEqual(['idempotency_keys.response_body']);

    const runner = testApp.app.get(DataSource).createQueryRunner();
    try {
      await new StripTokensFromIdempotencyKeys1795966300000().up(runner);
    } finally {
      await runner.release();
    }
    expect(await findSecrets(url(), tokenSecrets(oldToken))).toEqual([]);
    const { token: _token, ...record } = first.body as Record<string, unknown>;
    expect((await rowsOfKey(key))[0]?.response_body).toEqual(record);

    const replay = await issue(tenantId, { tier: 'starter' }, key).expect(201);
    const replayToken = remember(replay.body.token);
    expect((await verifier.verify(replayToken)).claims.jti).toBe(first.body.id);
  });

  it('covers every route that honours Idempotency-Key, and no stored response holds a token', async () => {
    const idempotent: string[] = [];
    for (const module of testApp.app.get(ModulesContainer).values()) {
      for (const controller of module.controllers.values()) {
        const type = controller.metatype as unknown as { prototype: Record<string, unknown> } | null;
        if (!type?.prototype) {
          continue;
        }
        const base = String(Reflect.getMetadata(PATH_METADATA, type) ?? '');
        for (const name of Object.getOwnPropertyNames(type.prototype)) {
          const handler = type.prototype[name];
          if (typeof handler !== 'function') {
            continue;
          }
          if (((Reflect.getMetadata(INTERCEPTORS_METADATA, handler) ?? []) as unknown[]).includes(IdempotencyInterceptor)) {
            const path = ['api', base, String(Reflect.getMetadata(PATH_METADATA, handler))].filter((part) => part !== '' && part !== '/').join('/');
            idempotent.push(`${RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod]} /${path}`);
          }
        }
      }
    }
    expect(idempotent.sort()).toEqual(IDEMPOTENT_ROUTES);

    const stored = await sql<{ route: string; as_text: string }>(url(), `SELECT route, row_to_json(k)::text AS as_text FROM idempotency_keys k`);
    for (const route of IDEMPOTENT_ROUTES) {
      expect(stored.some((row) => row.route.startsWith(`${route} `))).toBe(true);
    }
    expect(stored.filter((row) => new RegExp(COMPACT_JWS).test(row.as_text))).toEqual([]);
    expect(secrets.length).toBeGreaterThan(10);
    expect(await findSecrets(url(), secrets)).toEqual([]);
  });
});
