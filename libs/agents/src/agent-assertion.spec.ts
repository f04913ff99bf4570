import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { AssertionUnverified, claimedAgentId, verifyAssertion } from './agent-assertion';

const AUDIENCE = 'https://api.example.test/api/agents/token';

describe('agent assertions', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const key = { kty: 'OKP' as const, crv: 'Ed25519' as const, x: String(publicKey.export({ format: 'jwk' }).x) };
  const agentId = randomUUID();
  const now = () => Math.floor(Date.now() / 1000);

  function sign(overrides: { typ?: string; iss?: string; sub?: string; aud?: string; iat?: number; exp?: number; jti?: string } = {}): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', typ: overrides.typ ?? 'JWT' })
      .setIssuer(overrides.iss ?? agentId)
      .setSubject(overrides.sub ?? agentId)
      .setAudience(overrides.aud ?? AUDIENCE)
      .setJti(overrides.jti ?? randomUUID())
      .setIssuedAt(overrides.iat ?? now())
      .setExpirationTime(overrides.exp ?? now() + 60)
      .sign(privateKey);
  }

  async function reason(check: () => unknown): Promise<string> {
    try {
      await check();
    } catch (error) {
      if (error instanceof AssertionUnverified) {
        return error.reason;
      }
      throw error;
    }
    throw new Error('expected the assertion to be refused');
  }

  it('reads the claimed agent before any signature check, and verifies against its key', async () => {
    const assertion = await sign({ jti: 'jti-1' });
    expect(claimedAgentId(assertion)).toBe(agentId);
    const verified = await verifyAssertion(assertion, agentId, key, AUDIENCE);
    expect(verified.jti).toBe('jti-1');
    expect(verified.replayableUntil.getTime()).toBeGreaterThan(Date.now());
  });

  it('refuses our own token types, another issuer than subject, and ids that are not UUIDs', async () => {
    expect(await reason(async () => claimedAgentId(await sign({ typ: 'agent+jwt' })))).toBe('wrong_type');
    expect(await reason(async () => claimedAgentId(await sign({ sub: randomUUID() })))).toBe('bad_claim_sub');
    expect(await reason(async () => claimedAgentId(await sign({ iss: 'agent-1', sub: 'agent-1' })))).toBe('unknown_agent');
    expect(await reason(() => claimedAgentId('not.a.jwt'))).toBe('malformed');
    expect(await reason(() => claimedAgentId('x'.repeat(5000)))).toBe('malformed');
  });

  it('refuses another key, another audience, a future iat and a lifetime over five minutes', async () => {
    const stranger = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
    expect(await reason(async () => verifyAssertion(await sign(), agentId, { ...key, x: String(stranger.x) }, AUDIENCE))).toBe('bad_signature');
    expect(await reason(async () => verifyAssertion(await sign({ aud: 'cameleer-platform' }), agentId, key, AUDIENCE))).toBe('bad_claim_aud');
    expect(await reason(async () => verifyAssertion(await sign({ iat: now() + 60, exp: now() + 120 }), agentId, key, AUDIENCE))).toBe('bad_claim_iat');
    expect(await reason(async () => verifyAssertion(await sign({ exp: now() + 600 }), agentId, key, AUDIENCE))).toBe('bad_claim_exp');
    expect(await reason(async () => verifyAssertion(await sign({ iat: now() - 120, exp: now() - 60 }), agentId, key, AUDIENCE))).toBe('expired');
  });
});
