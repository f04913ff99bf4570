// npm run keys:jwks -- [--purpose license|platform] [--dir <KEYS_DIR>] [--out <file> | -]      (--help: flags and exit codes)
// Writes the verification keys of a published purpose as a JWKS: the same set the service serves
// (license: /.well-known/jwks.json, platform: /.well-known/platform-jwks.json), for offline verifiers.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EXIT_OK, runCli, UsageError } from '@app/cli';
import { KeyringError, loadKeyring, SIGNING_KID_ENV } from '@app/security';

/** The purposes whose public keys leave the service; machine and session keys never do. */
const PUBLISHED = { license: 'license-jwks.json', platform: 'platform-jwks.json' } as const;

void runCli(
  {
    name: 'keys:jwks',
    summary: 'Writes the license (or platform) verification keys as a JWKS (the set the service serves), for offline verifiers.',
    usage: 'npm run keys:jwks -- [--purpose license|platform] [--dir <KEYS_DIR>] [--out <file> | --out -]',
    details: [
      '  --purpose <p>  license (default): /.well-known/jwks.json; platform: /.well-known/platform-jwks.json (X-Cameleer-Identity)',
      '  --dir <dir>    the keys folder (default: $KEYS_DIR or ./keys); its keys are checked as in production',
      '  --out <file>   where to write (default: <dir>/<purpose>-jwks.json); - writes to stdout',
    ].join('\n'),
    options: {
      purpose: { type: 'string', default: 'license' },
      dir: { type: 'string', default: process.env.KEYS_DIR || './keys' },
      out: { type: 'string' },
    },
    exitCodes: { 1: 'failed: a key is missing, unreadable or refused (the message names the file and the fix)' },
    expected: [KeyringError],
  },
  ({ values }) => {
    const purpose = values.purpose;
    if (purpose !== 'license' && purpose !== 'platform') {
      throw new UsageError(`--purpose must be license or platform (the published key sets), got "${purpose}"`);
    }
    const dir = resolve(values.dir);
    // Production rules: never generate a key here, and refuse the same files the service would refuse.
    const keyring = loadKeyring({ dir, purpose, development: false, currentKid: process.env[SIGNING_KID_ENV[purpose]] || undefined });
    const json = `${JSON.stringify({ keys: keyring.publicJwks() }, null, 2)}\n`;
    const out = values.out ?? join(dir, PUBLISHED[purpose]);
    if (out === '-') {
      process.stdout.write(json);
    } else {
      writeFileSync(out, json, { mode: 0o644 });
      console.error(`wrote ${keyring.kids().length} ${purpose} verification key(s) to ${resolve(out)} (current kid ${keyring.current.kid})`);
    }
    return EXIT_OK;
  },
);
