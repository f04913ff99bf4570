/**
 * MachineTokenService.verify('agent', token) against the raw Ed25519 primitive on the same token:
 * node:crypto verify(null, signingInput, publicKey, signature). Both interleaved in the same run; the ratio is
 * what the JOSE parsing, key lookup and claim checks cost on top of the signature check. A second row puts
 * bare jose jwtVerify (same options, static key) beside the same baseline, to separate jose's share from ours.
 */
import { verify as cryptoVerify } from 'node:crypto';
import { rmSync } from 'node:fs';
import { jwtVerify } from 'jose';
import { createTestKeysDir } from '../../test/support/test-keys';
import { loadKeyring, MACHINE_TOKEN_KINDS, MachineTokenService } from '@app/security';
import { compareOps, defineSuite, describeSamples, type OpsComparison } from '../lib';

const ISSUER = 'https://bench.example.com';

export default defineSuite({
  name: 'machine-token-verify',
  description: "MachineTokenService.verify('agent') vs raw crypto.verify of the same Ed25519 token",
  async run(ctx) {
    const dir = createTestKeysDir();
    try {
      const keyring = loadKeyring({ dir, purpose: 'machine', development: false });
      const service = new MachineTokenService(keyring, { issuer: ISSUER, clockToleranceSeconds: 30 });
      const { token } = await service.sign('agent', { sub: 'agent-bench', tenantId: 'tenant-bench', ttlSeconds: MACHINE_TOKEN_KINDS.agent.maxLifetimeSeconds });

      const [header, payload, sig] = token.split('.');
      const signingInput = Buffer.from(`${header}.${payload}`, 'ascii');
      const signature = Buffer.from(sig ?? '', 'base64url');
      const publicKey = keyring.verificationKey(keyring.current.kid);
      if (publicKey === undefined) {
        throw new Error('machine keyring lost its current key');
      }
      // Both sides must succeed, or the figures compare a fast failure.
      if (!cryptoVerify(null, signingInput, publicKey, signature)) {
        throw new Error('crypto.verify rejected the benchmark token');
      }
      await service.verify('agent', token);
      const joseOptions = {
        algorithms: ['EdDSA'],
        typ: MACHINE_TOKEN_KINDS.agent.typ,
        issuer: ISSUER,
        audience: MACHINE_TOKEN_KINDS.agent.audience(ISSUER),
        requiredClaims: ['iss', 'aud', 'sub', 'jti', 'iat', 'exp', 'tenant_id'],
        clockTolerance: 30,
        maxTokenAge: MACHINE_TOKEN_KINDS.agent.maxLifetimeSeconds,
      };
      await jwtVerify(token, publicKey, joseOptions);
      ctx.log(`token: ${token.length} bytes, kid ${keyring.current.kid}`);

      const baseline = { name: 'crypto.verify (Ed25519)', fn: () => cryptoVerify(null, signingInput, publicKey, signature) };
      const record = (metric: string, cmp: OpsComparison): void => {
        ctx.log(`${metric}: ${cmp.candidate.opsPerSec.toFixed(0)} vs ${cmp.baseline.opsPerSec.toFixed(0)} ops/s (ratio ${cmp.ratio.toFixed(3)})`);
        ctx.record({
          metric,
          unit: 'ops/s',
          value: cmp.candidate.opsPerSec,
          baseline: cmp.baseline.opsPerSec,
          baselineName: baseline.name,
          ratio: cmp.ratio,
          better: 'higher',
          samples: cmp.candidate.samples,
          baselineSamples: cmp.baseline.samples,
          note: `target ${describeSamples(cmp.candidate.samples)}; baseline ${describeSamples(cmp.baseline.samples)}`,
        });
      };

      record(
        "MachineTokenService.verify('agent')",
        await compareOps({ name: 'MachineTokenService.verify', fn: () => service.verify('agent', token) }, baseline, { rounds: 5 }),
      );
      record('jose jwtVerify (same options, static key)', await compareOps({ name: 'jose jwtVerify', fn: () => jwtVerify(token, publicKey, joseOptions) }, baseline, { rounds: 5 }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
});
