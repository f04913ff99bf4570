// npm run license:verify -- <token-or-file> --jwks <file-or-url> [--issuer <iss>] [--audience <aud>] [--json]
// Verifies a license token offline (or against a published JWKS URL) and prints its claims and status.
// Exit code: 0 valid (ACTIVE, EXPIRING, IN_GRACE), 1 invalid or EXPIRED, 2 usage error.
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  DEFAULT_LICENSE_AUDIENCE,
  DEFAULT_LICENSE_ISSUER,
  LicenseVerificationError,
  LicenseVerifier,
  VerifiedLicense,
} from '@app/licensing';

const USAGE = 'usage: npm run license:verify -- <token-or-file> --jwks <file-or-url> [--issuer <iss>] [--audience <aud>] [--tolerance <s>] [--json]';

function readToken(argument: string): string {
  // A compact JWS never names an existing file; anything else is read as a file holding the token.
  const text = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(argument) || !existsSync(argument) ? argument : readFileSync(argument, 'utf8');
  return text.trim();
}

function verifierFor(jwks: string, options: { issuer: string; audience: string; clockToleranceSeconds: number }): LicenseVerifier {
  if (/^https?:\/\//.test(jwks)) {
    return LicenseVerifier.fromJwksUrl(jwks, options);
  }
  const text = readFileSync(jwks, 'utf8');
  return text.includes('-----BEGIN PUBLIC KEY-----') ? LicenseVerifier.fromPem(text, options) : LicenseVerifier.fromJwks(JSON.parse(text) as never, options);
}

function describe(result: VerifiedLicense): Record<string, unknown> {
  return {
    valid: result.status !== 'EXPIRED',
    status: result.status,
    kid: result.header.kid,
    licenseEndsAt: result.licenseEndsAt.toISOString(),
    graceEndsAt: result.graceEndsAt.toISOString(),
    tokenIssuedAt: result.issuedAt.toISOString(),
    tokenExpiresAt: result.tokenExpiresAt.toISOString(),
    claims: result.claims,
  };
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        jwks: { type: 'string' },
        issuer: { type: 'string', default: process.env.LICENSE_ISSUER || DEFAULT_LICENSE_ISSUER },
        audience: { type: 'string', default: process.env.LICENSE_AUDIENCE || DEFAULT_LICENSE_AUDIENCE },
        tolerance: { type: 'string', default: '30' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.error(USAGE);
    return 0;
  }
  const [tokenArgument] = positionals;
  if (tokenArgument === undefined || positionals.length !== 1 || values.jwks === undefined) {
    console.error(USAGE);
    return 2;
  }
  let verifier: LicenseVerifier;
  try {
    verifier = verifierFor(values.jwks, { issuer: values.issuer, audience: values.audience, clockToleranceSeconds: Number(values.tolerance) });
  } catch (error) {
    console.error(`cannot use the keys in ${values.jwks}: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  try {
    const result = await verifier.verify(readToken(tokenArgument));
    const report = describe(result);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      const { claims } = result;
      process.stdout.write(
        [
          `status:        ${result.status}${result.status === 'IN_GRACE' ? ' (the contract ended; keep working, renew now)' : ''}`,
          `tenant:        ${claims.tenant_slug} (${claims.sub})`,
          `license:       ${claims.jti}  tier ${claims.tier}`,
          `features:      ${claims.features.join(', ') || '(none)'}`,
          `limits:        ${Object.entries(claims.limits).map(([name, value]) => `${name}=${value}`).join(' ')}`,
          `contract end:  ${report.licenseEndsAt as string}  (grace ${claims.grace_days} d, until ${report.graceEndsAt as string})`,
          `token:         issued ${report.tokenIssuedAt as string}, refresh before ${report.tokenExpiresAt as string}, kid ${String(result.header.kid)}`,
          `issuer:        ${claims.iss}  audience ${claims.aud}`,
          '',
        ].join('\n'),
      );
    }
    return result.status === 'EXPIRED' ? 1 : 0;
  } catch (error) {
    if (error instanceof LicenseVerificationError) {
      const report = { valid: false, reason: error.reason, message: error.message, ...(error.claims !== undefined ? { claims: error.claims } : {}) };
      if (values.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        process.stdout.write(`INVALID: ${error.message}\n${error.claims !== undefined ? `claims of the stale token: ${JSON.stringify(error.claims)}\n` : ''}`);
      }
      return 1;
    }
    throw error;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
