// npm run keys:generate -- --purpose license|machine [--dir <KEYS_DIR>] [--force]      (--help: flags and exit codes)
// Writes a new Ed25519 key pair (<kid>.key.pem 0600, <kid>.pub.pem 0644) and makes it the current signing key.
import { resolve } from 'node:path';
import { EXIT_OK, runCli, UsageError } from '@app/cli';
import { generateKeyPair, isKeyPurpose, KeyringError } from '@app/security';

void runCli(
  {
    name: 'keys:generate',
    summary: 'Writes a new Ed25519 signing key pair and makes it the current key of its purpose.',
    usage: 'npm run keys:generate -- --purpose license|machine [--dir <KEYS_DIR>] [--force]',
    details: [
      '  --purpose license|machine  which keys: license tokens, or machine tokens (agents)',
      '  --dir <dir>                the keys folder (default: $KEYS_DIR or ./keys)',
      '  --force                    rotate: a new current key even though one exists (older public keys keep verifying)',
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
      throw new UsageError(purpose === undefined ? '--purpose is required' : `--purpose must be license or machine, got "${purpose}"`);
    }
    const generated = generateKeyPair({ dir: resolve(values.dir), purpose, force: values.force });
    console.log(`${purpose} signing key ${generated.kid} is now current`);
    console.log(`  private: ${generated.privatePath} (mode 0600, never commit it)`);
    console.log(`  public:  ${generated.publicPath}`);
    if (purpose === 'license') {
      console.log('  publish: npm run keys:jwks');
    }
    return EXIT_OK;
  },
);
