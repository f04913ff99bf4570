// npm run keys:generate -- --purpose license|machine|platform|session [--dir <KEYS_DIR>] [--force]      (--help: flags and exit codes)
// Writes a new key and makes it current: an Ed25519 pair (<kid>.key.pem 0600, <kid>.pub.pem 0644) for a signing
// purpose, or 32 random bytes (<kid>.key 0600) for the session keys.
import { resolve } from 'node:path';
import { EXIT_OK, runCli, UsageError } from '@app/cli';
import { generateKeyPair, generateSessionKey, isKeyPurpose, KEY_PURPOSES, KeyringError } from '@app/security';

void runCli(
  {
    name: 'keys:generate',
    summary: 'Writes a new key (an Ed25519 signing pair, or a session sealing key) and makes it the current key of its purpose.',
    usage: `npm run keys:generate -- --purpose ${KEY_PURPOSES.join('|')} [--dir <KEYS_DIR>] [--force]`,
    details: [
      '  --purpose <purpose>  license: signs license tokens; machine: signs machine tokens (agents);',
      '                       platform: signs X-Cameleer-Identity (what the platform vouches to its services);',
      '                       session: seals the edge sessions\' stored secrets (AES-256-GCM)',
      '  --dir <dir>          the keys folder (default: $KEYS_DIR or ./keys)',
      '  --force              rotate: a new current key even though one exists (older keys keep verifying or opening)',
    ].join('\n'),
    options: {
      purpose: { type: 'string' },
      dir: { type: 'string', default: process.env.KEYS_DIR || './keys' },
      force: { type: 'boolean', default: false },
    },
    exitCodes: { 1: 'failed: a current key exists (use --force), or a key file cannot be written' },
    expected: [KeyringError],
  },
  ({ values }) => {
    const { purpose } = values;
    if (!isKeyPurpose(purpose)) {
      throw new UsageError(purpose === undefined ? '--purpose is required' : `--purpose must be one of ${KEY_PURPOSES.join(', ')}, got "${purpose}"`);
    }
    if (purpose === 'session') {
      const generated = generateSessionKey({ dir: resolve(values.dir), force: values.force });
      console.log(`session key ${generated.kid} is now current`);
      console.log(`  key: ${generated.path} (mode 0600, never commit it)`);
      return EXIT_OK;
    }
    const generated = generateKeyPair({ dir: resolve(values.dir), purpose, force: values.force });
    console.log(`${purpose} signing key ${generated.kid} is now current`);
    console.log(`  private: ${generated.privatePath} (mode 0600, never commit it)`);
    console.log(`  public:  ${generated.publicPath}`);
    if (purpose === 'license' || purpose === 'platform') {
      console.log(`  publish: npm run keys:jwks${purpose === 'platform' ? ' -- --purpose platform' : ''}`);
    }
    return EXIT_OK;
  },
);
