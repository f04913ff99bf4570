import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { sql } from './tenant-rows';

/**
 * Writes an agents row directly, as registration would leave it: for tests of other features (forward-auth, ...)
 * that need an agent id AGENT_STATUS accepts without going through bootstrap tokens and licenses.
 */
export async function insertAgentRow(url: string, tenantId: string, input: { enabled?: boolean; name?: string } = {}): Promise<string> {
  const id = randomUUID();
  const x = String(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x);
  const enabled = input.enabled ?? true;
  await sql(
    url,
    `INSERT INTO agents (id, tenant_id, name, public_key_jwk, enabled, disabled_at, disabled_by) VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7)`,
    [id, tenantId, input.name ?? 'test-agent', JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x }), enabled, enabled ? null : new Date(), enabled ? null : 'test'],
  );
  return id;
}
