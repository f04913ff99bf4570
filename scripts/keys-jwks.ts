// npm run keys:jwks -- [--dir <KEYS_DIR>] [--out keys/license-jwks.json | -]      (--help: flags and exit codes)
// Writes the license verification keys as a JWKS: the same set /.well-known/jwks.json serves, for offline verifiers.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EXIT_OK, runCli } from '@app/cli';
import { KeyringError, loadKeyring } from '@app/security';

void runCli(
  {
    name: 'keys:jwks',
    summary: 'Writes the license verification keys as a JWKS (the set /.well-known/jwks.json serves), for offline verifiers.',
    usage: 'npm run keys:jwks -- [--dir <KEYS_DIR>] [--out <file> | --out -]',
    details: [
      '  --dir <dir>   the keys folder (default: $KEYS_DIR or ./keys); its license keys are checked as in production',
      '  --out <file>  where to write (default: <dir>/license-jwks.json); - writes to stdout',
    ].join('\n'),
    options: {
      dir: { type: 'string', default: process.env.KEYS_DIR || './keys' },
      out: { type: 'string' },
    },
    exitCodes: { 1: 'failed: a license key is missing, unreadable or refused (the message names the file and the fix)' },
    expected: [KeyringError],
  },
  ({ values }) => {
    const dir = resolve(values.dir);
    // Production rules: never generate a key here, and refuse the same files the service would refuse.
    const keyring = loadKeyring({ dir, purpose: 'license', development: false, currentKid: process.env.LICENSE_SIGNING_KID || undefined });
    const json = `${JSON.stringify({ keys: keyring.publicJwks() }, null, 2)}\n`;
    const out = values.out ?? join(dir, 'license-jwks.json');
    if (out === '-') {
      process.stdout.write(json);
    } else {
      writeFileSync(out, json, { mode: 0o644 });
      console.error(`wrote ${keyring.kids().length} license verification key(s) to ${resolve(out)} (current kid ${keyring.current.kid})`);
    }
    return EXIT_OK;
  },
);
