import { createHmac, generateKeyPairSync, KeyObject, sign as cryptoSign } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import { Global, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { exportJWK, JWTPayload, SignJWT } from 'jose';
import { ConfigValidationError, loadConfig, withConfigEnv } from '@app/service-core';
import { createTestKeysDir } from '../../../../test/support/test-keys';
import { ed25519Thumbprint, Keyring, loadKeyring, MACHINE_KEYRING } from '../keys';
import {
  MACHINE_TOKEN_KINDS,
  MachineTokenKind,
  machineTokenKindOfTyp,
  MachineTokenService,
  machineTokensConfigSchema,
  MachineTokensModule,
} from './index';
import { TokenRejected, TokenRejection } from '../tokens/token-rejected';

const ISSUER = 'https://cameleer.example.com';
const BOOTSTRAP_AUD = `${ISSUER}/api/agents/register`;
const AGENT_AUD = 'cameleer-platform';
const TOLERANCE = 30;

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = (): number => Math.floor(Date.now() / 1000);

describe('MachineTokenService', () => {
  let dir: string;
  let machine: Keyring;
  let license: Keyring;
  let service: MachineTokenService;
  let attacker: { privateKey: KeyObject; publicKey: KeyObject; kid: string };

  beforeAll(() => {
    dir = createTestKeysDir();
    machine = loadKeyring({ dir, purpose: 'machine', development: false });
    license = loadKeyring({ dir, purpose: 'license', development: false });
    service = new MachineTokenService(machine, { issuer: ISSUER, clockToleranceSeconds: TOLERANCE });
    const pair = generateKeyPairSync('ed25519');
    attacker = { ...pair, kid: ed25519Thumbprint(pair.publicKey) };
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Valid claims of an agent token, to be bent by each hostile case. */
  function agentClaims(overrides: Record<string, unknown> = {}): JWTPayload {
    const iat = now();
    return { iss: ISSUER, aud: AGENT_AUD, sub: 'agent-1', tenant_id: 'tenant-1', jti: 'jti-1', iat, exp: iat + 300, ...overrides };
  }

  /** Signs arbitrary header and claims with any Ed25519 key (jose adds nothing). */
  async function forge(
    claims: JWTPayload,
    header: Record<string, unknown> = {},
    key: KeyObject = machine.current.privateKey,
  ): Promise<string> {
    return new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', typ: 'agent+jwt', kid: machine.current.kid, ...header }).sign(key);
  }

  async function reasonOf(kind: MachineTokenKind, token: string): Promise<TokenRejection> {
    try {
      await service.verify(kind, token);
    } catch (error) {
      expect(error).toBeInstanceOf(TokenRejected);
      const refused = error as TokenRejected;
      // The message carries the reason only, never claim values or library text.
      expect(refused.message).toBe(`token rejected: ${refused.reason}`);
      expect(refused.cause).toBeUndefined();
      return refused.reason;
    }
    throw new Error('expected the token to be refused');
  }

  describe('round trip', () => {
    it.each([
      ['agent-bootstrap', 'agent-bootstrap+jwt', BOOTSTRAP_AUD, 24 * 3600],
      ['agent', 'agent+jwt', AGENT_AUD, 15 * 60],
    ] as const)('%s', async (kind, typ, aud, ttl) => {
      const before = now();
      const signed = await service.sign(kind, { sub: 'enrol-7', tenantId: 'tenant-9', ttlSeconds: ttl, extra: { env: 'prod' } });
      expect(signed.jti).toMatch(/^[0-9a-f-]{36}$/);
      expect(service.peekType(signed.token)).toBe(typ);

      const [headerPart] = signed.token.split('.');
      expect(JSON.parse(Buffer.from(headerPart!, 'base64url').toString())).toEqual({ alg: 'EdDSA', typ, kid: machine.current.kid });

      const verified = await service.verify(kind, signed.token);
      expect(verified).toMatchObject({ kind, subject: 'enrol-7', tenantId: 'tenant-9', tokenId: signed.jti, expiresAt: signed.expiresAt });
      expect(verified.claims).toMatchObject({ iss: ISSUER, aud, sub: 'enrol-7', tenant_id: 'tenant-9', jti: signed.jti, env: 'prod' });
      expect(verified.issuedAt.getTime() / 1000).toBeGreaterThanOrEqual(before);
      expect((verified.expiresAt.getTime() - verified.issuedAt.getTime()) / 1000).toBe(ttl);
      expect(verified.claims).not.toHaveProperty('nbf');
    });

    it('keeps a given jti', async () => {
      const signed = await service.sign('agent', { sub: 'a', tenantId: 't', ttlSeconds: 60, jti: 'row-42' });
      expect(signed.jti).toBe('row-42');
      expect((await service.verify('agent', signed.token)).tokenId).toBe('row-42');
    });

    it('verifies with an older (rotated-out) key of the machine keyring', async () => {
      const old = generateKeyPairSync('ed25519');
      const oldKid = ed25519Thumbprint(old.publicKey);
      const rotated = new Keyring('machine', machine.current, new Map([[oldKid, old.publicKey]]));
      const rotatedService = new MachineTokenService(rotated, { issuer: ISSUER, clockToleranceSeconds: TOLERANCE });
      const token = await forge(agentClaims(), { kid: oldKid }, old.privateKey);
      expect((await rotatedService.verify('agent', token)).subject).toBe('agent-1');
    });

    it('accepts an exp within the clock tolerance', async () => {
      const iat = now() - 300;
      expect((await service.verify('agent', await forge(agentClaims({ iat, exp: now() - 10 })))).subject).toBe('agent-1');
    });
  });

  describe('sign refuses', () => {
    it.each([
      ['agent', 15 * 60 + 1],
      ['agent-bootstrap', 24 * 3600 + 1],
      ['agent', 0],
      ['agent', -5],
      ['agent', 1.5],
      ['agent', Number.NaN],
    ] as const)('%s with ttl %p', async (kind, ttlSeconds) => {
      await expect(service.sign(kind, { sub: 'a', tenantId: 't', ttlSeconds })).rejects.toThrow(RangeError);
    });

    it('extra claims that override reserved ones', async () => {
      await expect(service.sign('agent', { sub: 'a', tenantId: 't', ttlSeconds: 60, extra: { tenant_id: 'other' } })).rejects.toThrow(/tenant_id/);
      await expect(service.sign('agent', { sub: 'a', tenantId: 't', ttlSeconds: 60, extra: { aud: 'x', exp: 1 } })).rejects.toThrow(/aud, exp/);
    });

    it('an empty sub or tenant', async () => {
      await expect(service.sign('agent', { sub: '', tenantId: 't', ttlSeconds: 60 })).rejects.toThrow(TypeError);
      await expect(service.sign('agent', { sub: 'a', tenantId: '', ttlSeconds: 60 })).rejects.toThrow(TypeError);
    });

    it('to be built on the license keyring', () => {
      expect(() => new MachineTokenService(license, { issuer: ISSUER, clockToleranceSeconds: TOLERANCE })).toThrow(/machine keyring/);
    });
  });

  describe('verify refuses', () => {
    it('alg none', async () => {
      const token = `${b64({ alg: 'none', typ: 'agent+jwt', kid: machine.current.kid })}.${b64(agentClaims())}.`;
      expect(await reasonOf('agent', token)).toBe('bad_signature');
      const noKid = `${b64({ alg: 'none', typ: 'agent+jwt' })}.${b64(agentClaims())}.`;
      expect(await reasonOf('agent', noKid)).toBe('bad_signature');
    });

    it('HS256 signed with the public key as the HMAC secret (algorithm confusion)', async () => {
      const publicKey = machine.verificationKey(machine.current.kid)!;
      const secrets = [
        Buffer.from((await exportJWK(publicKey)).x!, 'base64url'), // raw 32 bytes
        Buffer.from(publicKey.export({ type: 'spki', format: 'pem' })), // the PEM text
        publicKey.export({ type: 'spki', format: 'der' }),
      ];
      for (const secret of secrets) {
        const input = `${b64({ alg: 'HS256', typ: 'agent+jwt', kid: machine.current.kid })}.${b64(agentClaims())}`;
        const token = `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
        expect(await reasonOf('agent', token)).toBe('bad_signature');
      }
    });

    it('a tampered payload', async () => {
      const [header, , signature] = (await service.sign('agent', { sub: 'agent-1', tenantId: 'tenant-1', ttlSeconds: 60 })).token.split('.');
      const token = `${header}.${b64(agentClaims({ tenant_id: 'tenant-2' }))}.${signature}`;
      expect(await reasonOf('agent', token)).toBe('bad_signature');
    });

    it('a tampered header (typ swapped from bootstrap to agent)', async () => {
      const signed = await service.sign('agent-bootstrap', { sub: 'e', tenantId: 't', ttlSeconds: 600 });
      const [, payload, signature] = signed.token.split('.');
      const header = b64({ alg: 'EdDSA', typ: 'agent+jwt', kid: machine.current.kid });
      expect(await reasonOf('agent', `${header}.${payload}.${signature}`)).toBe('bad_signature');
      expect(await reasonOf('agent-bootstrap', `${header}.${payload}.${signature}`)).toBe('bad_signature');
    });

    it('a signature by another Ed25519 key that claims our kid', async () => {
      expect(await reasonOf('agent', await forge(agentClaims(), {}, attacker.privateKey))).toBe('bad_signature');
    });

    it('an unknown, missing, non-string or path-traversal kid', async () => {
      expect(await reasonOf('agent', await forge(agentClaims(), { kid: attacker.kid }, attacker.privateKey))).toBe('unknown_key');
      expect(await reasonOf('agent', await forge(agentClaims(), { kid: undefined }))).toBe('unknown_key');
      expect(await reasonOf('agent', await forge(agentClaims(), { kid: '' }))).toBe('unknown_key');
      expect(await reasonOf('agent', await forge(agentClaims(), { kid: 42 }))).toBe('unknown_key');
      expect(await reasonOf('agent', await forge(agentClaims(), { kid: '../../license/x' }))).toBe('unknown_key');
      expect(await reasonOf('agent', await forge(agentClaims(), { kid: `../license/${license.current.kid}` }))).toBe('unknown_key');
      expect(await reasonOf('agent', await forge(agentClaims(), { kid: `${machine.current.kid}/../${machine.current.kid}` }))).toBe('unknown_key');
    });

    describe('key material named by the token', () => {
      let server: Server;
      let url: string;
      let requests: number;

      beforeAll(async () => {
        requests = 0;
        const jwk = { ...(await exportJWK(attacker.publicKey)), kid: attacker.kid, alg: 'EdDSA', use: 'sig' };
        server = createServer((_req, res) => {
          requests++;
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ keys: [jwk] }));
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
      });
      afterAll(async () => {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      });

      it('never fetches jku or x5u (attacker key set) and never uses an embedded jwk', async () => {
        const jwk = await exportJWK(attacker.publicKey);
        const headers: Record<string, unknown>[] = [{ jku: url }, { x5u: url }, { jwk }, { jku: url, x5u: url, jwk }];
        for (const header of headers) {
          // With the attacker's own kid: no such key here.
          expect(await reasonOf('agent', await forge(agentClaims(), { ...header, kid: attacker.kid }, attacker.privateKey))).toBe('unknown_key');
          // Without a kid: the header's key material is not a fallback.
          expect(await reasonOf('agent', await forge(agentClaims(), { ...header, kid: undefined }, attacker.privateKey))).toBe('unknown_key');
          // With our kid: our key is used, and the attacker's signature does not match it.
          expect(await reasonOf('agent', await forge(agentClaims(), header, attacker.privateKey))).toBe('bad_signature');
        }
        // Our own signature with an attacker jku still verifies against our key only (the header is inert).
        expect((await service.verify('agent', await forge(agentClaims(), { jku: url, jwk })))).toMatchObject({ subject: 'agent-1' });
        expect(requests).toBe(0);
      });
    });

    it('crit extensions', async () => {
      // Signed by hand: jose refuses to sign an unknown extension.
      const header = b64({ alg: 'EdDSA', typ: 'agent+jwt', kid: machine.current.kid, crit: ['exp-ext'], 'exp-ext': 1 });
      const input = `${header}.${b64(agentClaims())}`;
      const unknownExt = `${input}.${cryptoSign(null, Buffer.from(input), machine.current.privateKey).toString('base64url')}`;
      expect(await reasonOf('agent', unknownExt)).toBe('malformed');
      const b64False = `${b64({ alg: 'EdDSA', typ: 'agent+jwt', kid: machine.current.kid, crit: ['b64'], b64: false })}`;
      const payload = JSON.stringify(agentClaims());
      const signature = cryptoSign(null, Buffer.from(`${b64False}.${payload}`), machine.current.privateKey).toString('base64url');
      expect(await reasonOf('agent', `${b64False}.${payload}.${signature}`)).toBe('malformed');
      // Well-formed b64:true under crit is still refused: we support no extensions.
      expect(await reasonOf('agent', await forge(agentClaims(), { crit: ['b64'], b64: true }))).toBe('malformed');
    });

    it('an expired token', async () => {
      expect(await reasonOf('agent', await forge(agentClaims({ iat: now() - 600, exp: now() - TOLERANCE - 5 })))).toBe('expired');
      // An iat older than the kind's maximum lifetime, even with a far exp (never minted by us).
      expect(await reasonOf('agent', await forge(agentClaims({ iat: now() - 3600, exp: now() + 3600 })))).toBe('expired');
    });

    it('nbf in the future', async () => {
      expect(await reasonOf('agent', await forge(agentClaims({ nbf: now() + 300 })))).toBe('not_yet_valid');
      // Within the tolerance is fine.
      await expect(service.verify('agent', await forge(agentClaims({ nbf: now() + 10 })))).resolves.toBeDefined();
    });

    it('iat in the future', async () => {
      expect(await reasonOf('agent', await forge(agentClaims({ iat: now() + 300, exp: now() + 600 })))).toBe('not_yet_valid');
      await expect(service.verify('agent', await forge(agentClaims({ iat: now() + 10 })))).resolves.toBeDefined();
    });

    it('a wrong issuer', async () => {
      expect(await reasonOf('agent', await forge(agentClaims({ iss: 'https://evil.example.com' })))).toBe('wrong_issuer');
      expect(await reasonOf('agent', await forge(agentClaims({ iss: `${ISSUER}/` })))).toBe('wrong_issuer');
    });

    it('a wrong audience', async () => {
      expect(await reasonOf('agent', await forge(agentClaims({ aud: 'something-else' })))).toBe('wrong_audience');
      expect(await reasonOf('agent', await forge(agentClaims({ aud: BOOTSTRAP_AUD })))).toBe('wrong_audience');
      // An array that contains ours is not what we mint either.
      expect(await reasonOf('agent', await forge(agentClaims({ aud: [AGENT_AUD, 'other'] })))).toBe('wrong_audience');
    });

    it('a missing claim', async () => {
      for (const claim of ['jti', 'tenant_id', 'sub', 'iat', 'exp', 'iss', 'aud']) {
        const claims = agentClaims();
        delete claims[claim];
        expect([claim, await reasonOf('agent', await forge(claims))]).toEqual([claim, 'missing_claim']);
      }
    });

    it('claims of the wrong JSON type', async () => {
      expect(await reasonOf('agent', await forge(agentClaims({ tenant_id: 7 })))).toBe('malformed');
      expect(await reasonOf('agent', await forge(agentClaims({ tenant_id: '' })))).toBe('malformed');
      expect(await reasonOf('agent', await forge(agentClaims({ sub: { id: 1 } })))).toBe('malformed');
      expect(await reasonOf('agent', await forge(agentClaims({ exp: `${now() + 60}` })))).toBe('malformed');
    });

    it('a license-keyring-signed token (other purpose)', async () => {
      const token = await forge(agentClaims(), { kid: license.current.kid }, license.current.privateKey);
      expect(await reasonOf('agent', token)).toBe('unknown_key');
      // Even a license token shaped as a license.
      const licenseToken = await forge(agentClaims({ aud: 'cameleer-server' }), { typ: 'license+jwt', kid: license.current.kid }, license.current.privateKey);
      expect(await reasonOf('agent', licenseToken)).toBe('unknown_key');
    });

    it('a bootstrap token as agent and vice versa', async () => {
      const bootstrap = await service.sign('agent-bootstrap', { sub: 'e', tenantId: 't', ttlSeconds: 600 });
      const agent = await service.sign('agent', { sub: 'a', tenantId: 't', ttlSeconds: 600 });
      expect(await reasonOf('agent', bootstrap.token)).toBe('wrong_type');
      expect(await reasonOf('agent-bootstrap', agent.token)).toBe('wrong_type');
      // The audience alone also tells them apart: right typ, other kind's audience.
      expect(await reasonOf('agent-bootstrap', await forge(agentClaims(), { typ: 'agent-bootstrap+jwt' }))).toBe('wrong_audience');
      // No typ at all.
      expect(await reasonOf('agent', await forge(agentClaims(), { typ: undefined }))).toBe('wrong_type');
      expect(await reasonOf('agent', await forge(agentClaims(), { typ: 'JWT' }))).toBe('wrong_type');
    });

    it('strings that are not JWTs', async () => {
      for (const token of ['', 'not a jwt', 'a.b.c', 'a.b', '...', `${b64({ alg: 'EdDSA' })}.e30`, 'x'.repeat(10_000), `${b64({ alg: 'RSA-OAEP', enc: 'A256GCM' })}.a.b.c.d`]) {
        expect(await reasonOf('agent', token)).toBe('malformed');
      }
      expect(await reasonOf('agent', undefined as unknown as string)).toBe('malformed');
    });
  });

  describe('peekType', () => {
    it('reads typ without verifying, and nothing on garbage', async () => {
      expect(service.peekType(await forge(agentClaims(), { typ: 'agent-bootstrap+jwt' }, attacker.privateKey))).toBe('agent-bootstrap+jwt');
      expect(service.peekType(await forge(agentClaims(), { typ: undefined }))).toBeUndefined();
      expect(service.peekType(await forge(agentClaims(), { typ: 5 }))).toBeUndefined();
      expect(service.peekType('garbage')).toBeUndefined();
      expect(service.peekType('!!!.e30.')).toBeUndefined();
    });
  });
});

describe('machine token kinds', () => {
  it('one typ per kind, all signed by the machine keyring', () => {
    expect(Object.values(MACHINE_TOKEN_KINDS).map((spec) => spec.typ).sort()).toEqual(['agent+jwt', 'agent-bootstrap+jwt', 'data-plane+jwt']);
    expect(Object.values(MACHINE_TOKEN_KINDS).map((spec) => spec.keyPurpose)).toEqual(['machine', 'machine', 'machine']);
    expect(MACHINE_TOKEN_KINDS['agent-bootstrap'].audience(ISSUER)).toBe(BOOTSTRAP_AUD);
    expect(MACHINE_TOKEN_KINDS.agent.audience(ISSUER)).toBe(AGENT_AUD);
    expect(MACHINE_TOKEN_KINDS['data-plane'].audience(ISSUER)).toBe(`${ISSUER}/api/events`);
    expect(machineTokenKindOfTyp('Agent+JWT')).toBe('agent');
    expect(machineTokenKindOfTyp('data-plane+jwt')).toBe('data-plane');
    expect(machineTokenKindOfTyp('application/agent-bootstrap+jwt')).toBe('agent-bootstrap');
    expect(machineTokenKindOfTyp('license+jwt')).toBeUndefined();
    expect(machineTokenKindOfTyp(undefined)).toBeUndefined();
  });
});

describe('machine-tokens config', () => {
  const load = (env: NodeJS.ProcessEnv) => loadConfig(machineTokensConfigSchema, env);

  function problems(env: NodeJS.ProcessEnv): string[] {
    try {
      load(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigValidationError);
      return [...(error as ConfigValidationError).problems];
    }
    throw new Error('expected a ConfigValidationError');
  }

  it('defaults outside production', () => {
    expect(load({})).toEqual({ issuer: 'http://localhost:3000', clockToleranceSeconds: 30 });
    expect(load({ CAMELEER_DEV: '1', PUBLIC_URL: '' })).toEqual({ issuer: 'http://localhost:3000', clockToleranceSeconds: 30 });
  });

  it('requires PUBLIC_URL in production', () => {
    expect(problems({ NODE_ENV: 'production' }).join('\n')).toContain('PUBLIC_URL');
    expect(load({ NODE_ENV: 'production', PUBLIC_URL: 'https://c.example.com' }).issuer).toBe('https://c.example.com');
  });

  it('strips trailing slashes and refuses non-http(s) URLs', () => {
    expect(load({ PUBLIC_URL: 'https://c.example.com/' }).issuer).toBe('https://c.example.com');
    expect(load({ PUBLIC_URL: 'https://c.example.com/base//' }).issuer).toBe('https://c.example.com/base');
    expect(problems({ PUBLIC_URL: 'ftp://c.example.com' }).join('\n')).toContain('PUBLIC_URL');
    expect(problems({ PUBLIC_URL: 'c.example.com' }).join('\n')).toContain('PUBLIC_URL');
    expect(problems({ PUBLIC_URL: 'https://c.example.com/?x=1' }).join('\n')).toContain('PUBLIC_URL');
    expect(problems({ PUBLIC_URL: 'https://user:pw@c.example.com' }).join('\n')).toContain('PUBLIC_URL');
  });

  it('bounds the clock tolerance to 0..60 s', () => {
    expect(load({ MACHINE_TOKEN_CLOCK_TOLERANCE_S: '60' }).clockToleranceSeconds).toBe(60);
    expect(problems({ MACHINE_TOKEN_CLOCK_TOLERANCE_S: '61' }).join('\n')).toContain('MACHINE_TOKEN_CLOCK_TOLERANCE_S');
    expect(problems({ MACHINE_TOKEN_CLOCK_TOLERANCE_S: '-1' }).join('\n')).toContain('MACHINE_TOKEN_CLOCK_TOLERANCE_S');
    expect(problems({ MACHINE_TOKEN_CLOCK_TOLERANCE_S: 'soon' }).join('\n')).toContain('MACHINE_TOKEN_CLOCK_TOLERANCE_S');
  });
});

describe('MachineTokensModule', () => {
  it('provides MachineTokenService on the machine keyring and the machine-tokens config', async () => {
    const dir = createTestKeysDir();
    try {
      const keyring = loadKeyring({ dir, purpose: 'machine', development: false });
      @Global()
      @Module({ providers: [{ provide: MACHINE_KEYRING, useValue: keyring }], exports: [MACHINE_KEYRING] })
      class FakeKeysModule {}
      const moduleRef = await withConfigEnv({ PUBLIC_URL: 'https://module.example.com/' }, () =>
        Test.createTestingModule({ imports: [FakeKeysModule, MachineTokensModule] }).compile(),
      );
      const service = moduleRef.get(MachineTokenService);
      expect(service.issuer).toBe('https://module.example.com');
      const signed = await service.sign('agent-bootstrap', { sub: 'e', tenantId: 't', ttlSeconds: 60 });
      expect((await service.verify('agent-bootstrap', signed.token)).claims.aud).toBe('https://module.example.com/api/agents/register');
      await moduleRef.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
