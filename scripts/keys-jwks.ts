// npm run keys:jwks -- [--dir <KEYS_DIR>] [--out keys/license-jwks.json | -]
// Writes the license verification keys as a JWKS: the same set /.well-known/jwks.json serves, for offline verifiers.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { KeyringError, loadKeyring } from '@app/security';

function main(): number {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string', default: process.env.KEYS_DIR ?? './keys' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.error('usage: npm run keys:jwks -- [--dir <KEYS_DIR>] [--out <file> | --out -]');
    return 0;
  }
  const dir = resolve(values.dir);
  try {
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
    return 0;
  } catch (error) {
    if (error instanceof KeyringError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
}

process.exitCode = main();
