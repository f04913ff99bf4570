import { generateKeyPairSync } from 'node:crypto';
import { toProblem } from '@app/service-core';
import { parseAgentPublicKey } from './agent-public-key';

describe('parseAgentPublicKey', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });

  it('accepts PEM SPKI and a public JWK, and stores the JWK only', () => {
    const fromPem = parseAgentPublicKey(publicKey.export({ format: 'pem', type: 'spki' }).toString());
    expect(fromPem).toEqual({ kty: 'OKP', crv: 'Ed25519', x: jwk.x });
    expect(parseAgentPublicKey({ kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid: 'k1' })).toEqual(fromPem);
  });

  it.each([
    ['a private key PEM', () => privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()],
    ['a private JWK', () => privateKey.export({ format: 'jwk' })],
    ['an RSA key', () => generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'pem', type: 'spki' }).toString()],
    ['an X25519 key', () => generateKeyPairSync('x25519').publicKey.export({ format: 'pem', type: 'spki' }).toString()],
    ['an X25519 JWK', () => ({ kty: 'OKP', crv: 'X25519', x: jwk.x })],
    ['a short x', () => ({ kty: 'OKP', crv: 'Ed25519', x: 'abc' })],
    ['a number', () => 42],
    ['an array', () => [jwk]],
    ['a certificate-looking string', () => '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'],
  ])('refuses %s with 400', (_name, input) => {
    let refusal: unknown;
    try {
      parseAgentPublicKey(input());
    } catch (error) {
      refusal = error;
    }
    const problem = toProblem(refusal);
    expect(problem).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(problem.errors?.[0]?.field).toBe('publicKey');
  });
});
