import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One agent per public key, across tenants: a key that registers twice is a copied credential (a cloned image, a
 * reused key file), and a disabled agent's key stays burned. Registration answers 409 PUBLIC_KEY_REGISTERED.
 * Should agents already share a key, the migration stops naming them instead of choosing one for the operator.
 */
export class UniqueAgentPublicKey1795966500000 implements MigrationInterface {
  name = 'UniqueAgentPublicKey1795966500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const shared = (await queryRunner.query(
      `SELECT string_agg(id::text, ', ' ORDER BY created_at) AS ids FROM agents GROUP BY public_key_jwk->>'x' HAVING count(*) > 1`,
    )) as { ids: string }[];
    if (shared.length > 0) {
      throw new Error(
        `agents share a public key (${shared.map((row) => `[${row.ids}]`).join(' ')}): keep one agent per key (disable the others and ` +
          `delete their rows, or give them new keys) before this migration can make keys unique`,
      );
    }
    await queryRunner.query(`CREATE UNIQUE INDEX uq_agents_public_key ON agents ((public_key_jwk->>'x'))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX uq_agents_public_key`);
  }
}
