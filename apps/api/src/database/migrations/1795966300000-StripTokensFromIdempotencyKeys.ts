import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Stored Idempotency-Key responses no longer hold secrets (a route declares its secret fields and a replay makes
 * them anew). Responses stored before that held license tokens in `response_body.token` for up to 24 h: they are
 * removed here, and a replay of such a row gets a token signed anew like any other. No other stored response has
 * a `token` field (bootstrap-token mints never stored theirs).
 */
export class StripTokensFromIdempotencyKeys1795966300000 implements MigrationInterface {
  name = 'StripTokensFromIdempotencyKeys1795966300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `UPDATE idempotency_keys SET response_body = response_body - 'token' WHERE jsonb_typeof(response_body) = 'object' AND response_body ? 'token'`,
    );
  }

  async down(): Promise<void> {
    // The tokens are gone for good, which is the point; rows without them replay the same way.
  }
}
