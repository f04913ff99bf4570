import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, generateSessionKey } from '@app/security';

/** A fresh KEYS_DIR with a key of every purpose, for tests (which run without development defaults). */
export function createTestKeysDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cameleer-keys-'));
  generateKeyPair({ dir, purpose: 'license' });
  generateKeyPair({ dir, purpose: 'machine' });
  generateKeyPair({ dir, purpose: 'platform' });
  generateSessionKey({ dir });
  return dir;
}
