import { execFileSync, spawnSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKeyring } from '@app/security';
import { isOpenSsl3, itWithTool } from '../../../test/support/requires-tool';
import { createTestKeysDir } from '../../../test/support/test-keys';
import { licenseClaims, signLicenseClaims } from './license-token';

/** A license token checked by a verifier that is not our code: OpenSSL 3, from the published JWK alone. */
describe('license tokens verified by OpenSSL', () => {
  let keysDir: string;
  let work: string;
  let token: string;
  let pubPem: string;

  beforeAll(async () => {
    keysDir = createTestKeysDir();
    work = mkdtempSync(join(tmpdir(), 'license-openssl-'));
    const keyring = loadKeyring({ dir: keysDir, purpose: 'license', development: false });
    const claims = licenseClaims(
      {
        licenseId: '6b1f7f3e-8a43-4c3e-9a55-0f9d3f1f2a10',
        tenantId: 'c3f9f0a2-2b7e-4b55-8d0c-2a6b7d1e9f33',
        tenantSlug: 'acme',
        tier: 'pro',
        features: ['tracing', 'metrics'],
        limits: { maxAgents: 5, maxEnvironments: 2, retentionDays: 30, maxUsers: 10 },
        endsAt: new Date(Date.now() + 365 * 86_400_000),
        graceDays: 14,
      },
      { issuer: 'https://cameleer.local', audience: 'cameleer3-server', ttlSeconds: 30 * 86_400 },
      new Date(),
    );
    token = await signLicenseClaims(claims, keyring.current);
    // The SPKI PEM written from the JWK as /.well-known/jwks.json publishes it, not from our key files.
    const [jwk] = keyring.publicJwks();
    pubPem = createPublicKey({ key: { kty: jwk?.kty, crv: jwk?.crv, x: jwk?.x }, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
    writeFileSync(join(work, 'pub.pem'), pubPem);
  });
  afterAll(() => {
    rmSync(keysDir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  /** Runs `openssl pkeyutl -verify -rawin` on the signing input and signature of a token; true when it verifies. */
  function opensslVerifies(candidate: string): boolean {
    const [header = '', payload = '', signature = ''] = candidate.split('.');
    writeFileSync(join(work, 'signing-input'), `${header}.${payload}`);
    writeFileSync(join(work, 'sig.bin'), Buffer.from(signature, 'base64url'));
    const result = spawnSync(
      'openssl',
      ['pkeyutl', '-verify', '-pubin', '-inkey', join(work, 'pub.pem'), '-rawin', '-in', join(work, 'signing-input'), '-sigfile', join(work, 'sig.bin')],
      { encoding: 'utf8' },
    );
    return result.status === 0 && /Signature Verified Successfully/.test(result.stdout);
  }

  /** The token with one bit flipped in part `part` (0 header, 1 payload, 2 signature), at byte `index` of its decoded form. */
  function flipBit(part: number, index: number, bit: number): string {
    const parts = token.split('.');
    const bytes = Buffer.from(parts[part] ?? '', 'base64url');
    bytes[index % bytes.length] = (bytes[index % bytes.length] ?? 0) ^ (1 << bit);
    parts[part] = bytes.toString('base64url');
    return parts.join('.');
  }

  itWithTool('openssl', ['version'], 'independent Ed25519 verification', isOpenSsl3)('verifies the token', () => {
    expect(execFileSync('openssl', ['version'], { encoding: 'utf8' })).toMatch(/^OpenSSL 3\./);
    expect(opensslVerifies(token)).toBe(true);
  });

  itWithTool('openssl', ['version'], 'independent Ed25519 verification', isOpenSsl3)('fails on one flipped bit anywhere: header, payload or signature', () => {
    const lengths = token.split('.').map((part) => Buffer.from(part, 'base64url').length);
    for (const [part, length] of lengths.entries()) {
      // First, last and a few bytes between, a different bit each time.
      for (const index of [0, 1, Math.floor(length / 3), Math.floor(length / 2), length - 1]) {
        const tampered = flipBit(part, index, index % 8);
        expect(tampered).not.toBe(token);
        expect(opensslVerifies(tampered)).toBe(false);
      }
    }
  });
});
