import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsDefined, IsInt, IsOptional, IsString, Length, Max, MaxLength, Min } from 'class-validator';
import { IsDisplayText } from '@app/service-core';
import { BOOTSTRAP_TTL_DEFAULT_S, BOOTSTRAP_TTL_MAX_S, BOOTSTRAP_TTL_MIN_S, BOOTSTRAP_USES_MAX } from '../bootstrap-tokens.service';

const trim = () => Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));

export class CreateBootstrapTokenRequest {
  /** What the token is for, shown in lists (1–128 characters). */
  @IsOptional() @trim() @IsString() @Length(1, 128) @IsDisplayText()
  label?: string;

  /** Lifetime in seconds, 10 s – 24 h; default 1 h. */
  @ApiPropertyOptional({ minimum: BOOTSTRAP_TTL_MIN_S, maximum: BOOTSTRAP_TTL_MAX_S, default: BOOTSTRAP_TTL_DEFAULT_S })
  @IsOptional() @IsInt() @Min(BOOTSTRAP_TTL_MIN_S) @Max(BOOTSTRAP_TTL_MAX_S)
  ttlSeconds?: number;

  /** How many agents may register with it, 1–100; default 1. */
  @ApiPropertyOptional({ minimum: 1, maximum: BOOTSTRAP_USES_MAX, default: 1 })
  @IsOptional() @IsInt() @Min(1) @Max(BOOTSTRAP_USES_MAX)
  maxUses?: number;
}

export class BootstrapTokenDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) tenantId!: string;
  @ApiProperty({ nullable: true, type: String }) label!: string | null;
  @ApiProperty() maxUses!: number;
  @ApiProperty() uses!: number;
  @ApiProperty() expiresAt!: Date;
  @ApiProperty({ enum: ['ACTIVE', 'EXPIRED', 'REVOKED', 'USED_UP'] }) status!: string;
  @ApiProperty({ nullable: true, type: Date }) revokedAt!: Date | null;
  @ApiProperty({ nullable: true, type: String }) revokedBy!: string | null;
  @ApiProperty() createdBy!: string;
  @ApiProperty() createdAt!: Date;
}

export class MintedBootstrapTokenDto extends BootstrapTokenDto {
  /** The bootstrap token (agent-bootstrap+jwt). Shown once: it is not stored and cannot be read again. */
  @ApiProperty() token!: string;
}

class Ed25519PublicJwkDto {
  @ApiProperty({ enum: ['OKP'] }) kty!: string;
  @ApiProperty({ enum: ['Ed25519'] }) crv!: string;
  @ApiProperty({ description: 'The 32-byte public key, base64url' }) x!: string;
}

export class RegisterAgentRequest {
  /** The agent's name, 1–128 characters. */
  @IsDefined() @trim() @IsString() @Length(1, 128) @IsDisplayText()
  name!: string;

  /** The environment it runs in (e.g. prod), 1–64 characters. */
  @IsOptional() @trim() @IsString() @Length(1, 64) @IsDisplayText()
  environment?: string;

  /** The agent's own Ed25519 public key: PEM (SPKI, "BEGIN PUBLIC KEY") or a JWK {kty: "OKP", crv: "Ed25519", x}. Its private key never leaves the agent. */
  @ApiProperty({ oneOf: [{ type: 'string', description: 'PEM SPKI' }, { $ref: '#/components/schemas/Ed25519PublicJwkDto' }] })
  @IsDefined()
  publicKey!: string | Record<string, unknown>;
}

export class RegisteredAgentDto {
  @ApiProperty({ format: 'uuid' }) agentId!: string;
  @ApiProperty({ format: 'uuid' }) tenantId!: string;
  /** Agent access token (agent+jwt, audience cameleer-platform). */
  @ApiProperty() accessToken!: string;
  /** Seconds until the access token expires. */
  @ApiProperty({ example: 900 }) expiresIn!: number;
  /** The `aud` every assertion must name: `${PUBLIC_URL}/api/agents/token`, whatever address the agent calls the API at. */
  @ApiProperty({ example: 'https://cameleer.example.com/api/agents/token' }) assertionAudience!: string;
  /** The tenant's license token (license+jwt). */
  @ApiProperty() license!: string;
}

export class AgentTokenRequest {
  /**
   * A JWT the agent signed with its own private key (EdDSA): iss = sub = agentId, aud = `${PUBLIC_URL}/api/agents/token`,
   * a unique jti, iat not in the future, exp at most 5 minutes ahead. Header typ, if present, is `JWT`.
   */
  @IsDefined() @IsString() @MaxLength(4096)
  assertion!: string;
}

export class AgentAccessTokenDto {
  @ApiProperty() accessToken!: string;
  @ApiProperty({ example: 900 }) expiresIn!: number;
}

export class AgentDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) tenantId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ nullable: true, type: String }) environment!: string | null;
  @ApiProperty({ type: Ed25519PublicJwkDto }) publicKey!: Ed25519PublicJwkDto;
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ nullable: true, type: Date }) disabledAt!: Date | null;
  @ApiProperty({ nullable: true, type: String }) disabledBy!: string | null;
  @ApiProperty() createdAt!: Date;
  @ApiProperty({ nullable: true, type: Date }) lastSeenAt!: Date | null;
}

class AgentTenantDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() slug!: string;
  @ApiProperty() name!: string;
  @ApiProperty() status!: string;
}

export class AgentSelfDto {
  @ApiProperty({ type: AgentDto }) agent!: AgentDto;
  @ApiProperty({ type: AgentTenantDto }) tenant!: AgentTenantDto;
  /** A freshly signed license token, or null when the tenant has no current license. */
  @ApiProperty({ nullable: true, type: String }) license!: string | null;
}
