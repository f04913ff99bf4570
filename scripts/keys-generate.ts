// npm run keys:generate -- --purpose license|machine [--dir <KEYS_DIR>] [--force]
// Writes a new Ed25519 key pair (<kid>.key.pem 0600, <kid>.pub.pem 0644) and makes it the current signing key.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generateKeyPair, isKeyPurpose, KeyringError } from '@app/security';

function main(): number {
  const { values } = parseArgs({
    options: {
      purpose: { type: 'string' },
      dir: { type: 'string', default: process.env.KEYS_DIR ?? './keys' },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || !isKeyPurpose(values.purpose)) {
    console.error('usage: npm run keys:generate -- --purpose license|machine [--dir <KEYS_DIR>] [--force]');
    return values.help ? 0 : 2;
  }
  const dir = resolve(values.dir);
  try {
    const generated = generateKeyPair({ dir, purpose: values.purpose, force: values.force });
    console.log(`${values.purpose} signing key ${generated.kid} is now current`);
    console.log(`  private: ${generated.privatePath} (mode 0600, never commit it)`);
    console.log(`  public:  ${generated.publicPath}`);
    if (values.purpose === 'license') {
      console.log('  publish: npm run keys:jwks');
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
