/**
 * LogtoTokenVerifier.verify(token) (the guard's and forward-auth's path behind TokenVerifier: jose's
 * jwtVerify with the key by kid from LogtoJwks, algorithm allowlist, typ/iss/aud/exp checks, claim
 * mapping) against raw ES384 crypto.verify of the same token. Keys come from a dev identity
 * provider's JWKS over HTTP, as in production.
 */
import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { LogtoAuthConfig, LogtoJwks, LogtoTokenVerifier } from '@app/security';
import { startDevIdp } from '../../test/support/dev-idp';
import { compareOps, defineSuite, describeSamples } from '../lib';

export default defineSuite({
  name: 'logto-token-verify',
  description: 'LogtoTokenVerifier.verify (ES384 Logto access token) vs raw ES384 crypto.verify, same run',
  async run(ctx) {
    const idp = await startDevIdp();
    try {
      const config: LogtoAuthConfig = {
        issuer: idp.issuer,
        jwksUri: idp.jwksUri,
        audience: idp.apiResource,
        algorithms: ['ES384'],
        clockToleranceSeconds: 30,
        jwksRefreshMs: 600_000,
        jwksRefetchCooldownMs: 2_000,
      };
      // Not started as a Nest provider: the first verification fetches the key set (its kid is unknown).
      const verifier = new LogtoTokenVerifier(config, new LogtoJwks(config));
      const token = await idp.mintUserToken({ sub: 'bench-user', scopes: ['platform:read'], expiresIn: 3600 });
      await verifier.verify(token);

      const [header, payload, sig] = token.split('.') as [string, string, string];
      const signingInput = Buffer.from(`${header}.${payload}`, 'ascii');
      const signature = Buffer.from(sig, 'base64url');
      const jwks = (await (await fetch(idp.jwksUri)).json()) as { keys: Record<string, unknown>[] };
      const publicKey = createPublicKey({ key: jwks.keys[0] as never, format: 'jwk' });
      const rawVerify = () => cryptoVerify('sha384', signingInput, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);
      if (!rawVerify()) {
        throw new Error('crypto.verify rejected the benchmark token');
      }

      const cmp = await compareOps({ name: 'LogtoTokenVerifier.verify', fn: () => verifier.verify(token) }, { name: 'crypto.verify (ES384)', fn: rawVerify }, { rounds: 5 });
      ctx.log(`LogtoTokenVerifier.verify: ${cmp.candidate.opsPerSec.toFixed(0)} vs ${cmp.baseline.opsPerSec.toFixed(0)} ops/s (ratio ${cmp.ratio.toFixed(3)})`);
      ctx.record({
        metric: 'LogtoTokenVerifier.verify (ES384)',
        unit: 'ops/s',
        value: cmp.candidate.opsPerSec,
        baseline: cmp.baseline.opsPerSec,
        baselineName: 'crypto.verify (ES384)',
        ratio: cmp.ratio,
        better: 'higher',
        samples: cmp.candidate.samples,
        baselineSamples: cmp.baseline.samples,
        note: `target ${describeSamples(cmp.candidate.samples)}; baseline ${describeSamples(cmp.baseline.samples)}`,
      });
    } finally {
      await idp.stop();
    }
  },
});
