import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsDefined,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { IsDisplayText } from '@app/service-core';
import { LICENSE_STATES, LicenseState, LicenseStatus } from '../license-status';
import { MAX_GRACE_DAYS, MAX_LIMIT_VALUE, MAX_VALIDITY_DAYS } from '../tiers/tier-catalog';

/** Limits to override; each is merged over the tier's default. Unknown names are refused. */
export class LicenseLimitsInput {
  @IsOptional() @IsInt() @Min(0) @Max(MAX_LIMIT_VALUE)
  maxAgents?: number;

  @IsOptional() @IsInt() @Min(0) @Max(MAX_LIMIT_VALUE)
  maxEnvironments?: number;

  @IsOptional() @IsInt() @Min(0) @Max(MAX_LIMIT_VALUE)
  retentionDays?: number;

  @IsOptional() @IsInt() @Min(0) @Max(MAX_LIMIT_VALUE)
  maxUsers?: number;
}

export class IssueLicenseRequest {
  /** A tier of the catalog: free, starter, pro or enterprise. */
  @IsDefined() @IsString() @MaxLength(32)
  tier!: string;

  /** Feature codes of the catalog; when given they replace the tier's defaults (an empty list means none). */
  @IsOptional() @IsArray() @ArrayMaxSize(64) @ArrayUnique() @IsString({ each: true }) @MaxLength(63, { each: true })
  features?: string[];

  /** Merged over the tier's default limits. */
  @IsOptional() @IsObject() @ValidateNested() @Type(() => LicenseLimitsInput)
  limits?: LicenseLimitsInput;

  /** Contract length in days from now (1–1826). Give this or endsAt, or neither for the tier's default. */
  @IsOptional() @IsInt() @Min(1) @Max(MAX_VALIDITY_DAYS)
  validDays?: number;

  /** Contract end, ISO 8601 with a time zone (e.g. 2027-01-31T23:59:59Z); in the future, at most 5 years away. */
  @IsOptional()
  @IsString()
  @IsISO8601({ strict: true, strictSeparator: true })
  @Matches(/T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/, { message: 'endsAt must be a date-time with a time zone (e.g. 2027-01-31T23:59:59Z)' })
  endsAt?: string;

  /** Days the license keeps working after its end (0–90); default: the tier's, else LICENSE_DEFAULT_GRACE_DAYS. */
  @IsOptional() @IsInt() @Min(0) @Max(MAX_GRACE_DAYS)
  graceDays?: number;
}

export class RevokeLicenseRequest {
  /** Why the license is revoked (1–500 characters); kept with the license. */
  @IsDefined() @IsString() @Length(1, 500) @Matches(/\S/, { message: 'reason must not be blank' }) @IsDisplayText()
  reason!: string;
}

export class LicenseLimitsView {
  @ApiProperty() maxAgents!: number;
  @ApiProperty() maxEnvironments!: number;
  @ApiProperty() retentionDays!: number;
  @ApiProperty() maxUsers!: number;
}

export class LicenseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) tenantId!: string;
  @ApiProperty({ example: 'pro' }) tier!: string;
  @ApiProperty({ type: [String], example: ['tracing', 'metrics'] }) features!: string[];
  @ApiProperty({ type: LicenseLimitsView }) limits!: LicenseLimitsView;
  @ApiProperty() startsAt!: Date;
  @ApiProperty() endsAt!: Date;
  @ApiProperty() graceDays!: number;
  @ApiProperty({ enum: LICENSE_STATES }) state!: LicenseState;
  /** ACTIVE, EXPIRING (within LICENSE_EXPIRY_WARNING_DAYS of its end) or EXPIRED (past its end). */
  @ApiProperty({ enum: ['ACTIVE', 'EXPIRING', 'EXPIRED'] }) status!: LicenseStatus;
  @ApiProperty() issuedBy!: string;
  @ApiProperty() createdAt!: Date;
  @ApiProperty({ nullable: true, type: Date }) revokedAt!: Date | null;
  @ApiProperty({ nullable: true, type: String }) revokedBy!: string | null;
  @ApiProperty({ nullable: true, type: String }) revokeReason!: string | null;
}

export class LicenseWithTokenDto extends LicenseDto {
  /** The signed license token (JWS compact, EdDSA, typ license+jwt); see docs/license-format.md. */
  @ApiPropertyOptional() token?: string;
}
