// npm run license:verify -- <token-or-file> --jwks <file-or-url> [--issuer <iss>] [--audience <aud>] [--json]
// Verifies a license token offline (or against a published JWKS URL) and prints its claims and status.
// Exit code: 0 valid (ACTIVE, EXPIRING, IN_GRACE), 1 invalid or EXPIRED, 2 usage error, 3 the keys could not be
// fetched or read (nothing was decided about the license).
import { existsSync, readFileSync } from 'node:fs';
import { CliFailure, EXIT_FAILED, EXIT_OK, integerValue, runCli, UsageError } from '@app/cli';
import {
  DEFAULT_LICENSE_AUDIENCE,
  DEFAULT_LICENSE_ISSUER,
  LicenseVerificationError,
  LicenseVerifier,
  VerifiedLicense,
} from '@app/licensing';

/** The keys could not be fetched or read: distinct from an invalid license, so a script can retry instead. */
const EXIT_KEYS_UNAVAILABLE = 3;

function readToken(argument: string): string {
  // A compact JWS never names an existing file; anything else is read as a file holding the token.
  const text = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(argument) || !existsSync(argument) ? argument : readFileSync(argument, 'utf8');
  return text.trim();
}

function verifierFor(jwks: string, options: { issuer: string; audience: string; clockToleranceSeconds: number }): LicenseVerifier {
  if (/^https?:\/\//i.test(jwks)) {
    if (!URL.canParse(jwks)) {
      throw new UsageError(`--jwks is not a valid URL: "${jwks}"`);
    }
    return LicenseVerifier.fromJwksUrl(jwks, options);
  }
  let text: string;
  try {
    text = readFileSync(jwks, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new CliFailure(code === 'ENOENT' ? `no key file ${jwks}` : `cannot read the key file ${jwks} (${String(code)})`, EXIT_KEYS_UNAVAILABLE, { cause: error });
  }
  try {
    return text.includes('-----BEGIN PUBLIC KEY-----') ? LicenseVerifier.fromPem(text, options) : LicenseVerifier.fromJwks(JSON.parse(text) as never, options);
  } catch (error) {
    throw new CliFailure(`cannot use the keys in ${jwks}: ${error instanceof Error ? error.message : String(error)}`, EXIT_KEYS_UNAVAILABLE);
  }
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

void runCli(
  {
    name: 'license:verify',
    summary: 'Verifies a license token offline (or against a published JWKS URL) and prints its claims and status.',
    usage: 'npm run license:verify -- <token-or-file> --jwks <file-or-url> [--issuer <iss>] [--audience <aud>] [--tolerance <s>] [--json]',
    details: [
      '  <token-or-file>     the compact license token, or a file holding it',
      '  --jwks <file|url>   the verification keys: a JWKS file (npm run keys:jwks), a PEM public key, or an http(s) URL',
      `  --issuer <iss>      expected iss (default: $LICENSE_ISSUER or ${DEFAULT_LICENSE_ISSUER})`,
      `  --audience <aud>    expected aud (default: $LICENSE_AUDIENCE or ${DEFAULT_LICENSE_AUDIENCE})`,
      '  --tolerance <s>     clock leeway in seconds, 0 to 60 (default 30)',
      '  --json              print the result as JSON on stdout',
    ].join('\n'),
    options: {
      jwks: { type: 'string' },
      issuer: { type: 'string', default: process.env.LICENSE_ISSUER || DEFAULT_LICENSE_ISSUER },
      audience: { type: 'string', default: process.env.LICENSE_AUDIENCE || DEFAULT_LICENSE_AUDIENCE },
      tolerance: { type: 'string', default: '30' },
      json: { type: 'boolean', default: false },
    },
    positionals: { min: 1, max: 1, label: '<token-or-file>' },
    exitCodes: {
      0: 'the license is valid: ACTIVE, EXPIRING or IN_GRACE',
      1: 'the license is invalid or EXPIRED (the reason is printed)',
      [EXIT_KEYS_UNAVAILABLE]: 'the keys could not be fetched or read: nothing was decided about the license',
    },
  },
  async ({ values, positionals }) => {
    if (values.jwks === undefined) {
      throw new UsageError('--jwks is required');
    }
    if (values.issuer.trim() === '' || values.audience.trim() === '') {
      throw new UsageError('--issuer and --audience must not be empty');
    }
    const clockToleranceSeconds = integerValue('tolerance', values.tolerance, { min: 0, max: 60 });
    const verifier = verifierFor(values.jwks, { issuer: values.issuer, audience: values.audience, clockToleranceSeconds });
    let result: VerifiedLicense;
    try {
      result = await verifier.verify(readToken(positionals[0] ?? ''));
    } catch (error) {
      if (!(error instanceof LicenseVerificationError)) {
        throw error;
      }
      if (error.reason === 'keys_unavailable') {
        throw new CliFailure(`could not fetch the keys from ${values.jwks}: ${error.message}`, EXIT_KEYS_UNAVAILABLE);
      }
      const report = { valid: false, reason: error.reason, message: error.message, ...(error.claims !== undefined ? { claims: error.claims } : {}) };
      if (values.json) {
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        process.stdout.write(`INVALID: ${error.message}\n${error.claims !== undefined ? `claims of the stale token: ${JSON.stringify(error.claims)}\n` : ''}`);
      }
      return EXIT_FAILED;
    }
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
    return result.status === 'EXPIRED' ? EXIT_FAILED : EXIT_OK;
  },
);
