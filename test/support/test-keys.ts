import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from '@app/security';

/** A fresh KEYS_DIR with one license and one machine key, for tests (which run without development defaults). */
export function createTestKeysDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cameleer-keys-'));
  generateKeyPair({ dir, purpose: 'license' });
  generateKeyPair({ dir, purpose: 'machine' });
  return dir;
}
