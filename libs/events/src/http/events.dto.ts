import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { PageOf } from '@app/service-core';
import { EVENT_PATTERNS } from '../event-types';

const MAX_FEED_LIMIT = 1000;

export class EventFeedQuery {
  @ApiPropertyOptional({ example: '0', description: 'Read events after this position: 0 (the default) for the oldest kept, then `next` of the page before.' })
  @IsOptional()
  @IsString()
  @Matches(/^\d{1,19}$/, { message: 'after must be a position (a decimal integer)' })
  after: string = '0';

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_FEED_LIMIT, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_FEED_LIMIT)
  limit: number = 100;
}

export class FeedEventDto {
  @ApiProperty({ format: 'uuid', description: 'The event id: a redelivery carries the same one (deduplicate on it).' }) id!: string;
  @ApiProperty({ example: '42', description: 'The cursor: a decimal integer, increasing in commit order, never reused.' }) position!: string;
  @ApiProperty({ example: 'tenant.suspended' }) type!: string;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) tenantId!: string | null;
  @ApiProperty() occurredAt!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'What changed: ids, names, states and terms; never a token or a key.' })
  data!: Record<string, unknown>;
}

export class FeedPageDto {
  @ApiProperty({ type: FeedEventDto, isArray: true }) items!: FeedEventDto[];
  @ApiProperty({ example: '42', description: 'Pass as `after` to read on; the same as `after` when nothing new was there.' }) next!: string;
}

const DATA_PLANE_TTL_MAX_S = 90 * 86_400;

export class MintDataPlaneTokenDto {
  @ApiProperty({ example: 'cameleer3-server-eu1', description: 'Which data-plane service holds it (the token subject is data-plane:<name>).' })
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9-]{0,62}$/, { message: 'name: lower-case letters, digits and dashes, at most 63' })
  name!: string;

  @ApiPropertyOptional({ minimum: 60, maximum: DATA_PLANE_TTL_MAX_S, default: 30 * 86_400, description: 'Lifetime in seconds (at most 90 days).' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(60)
  @Max(DATA_PLANE_TTL_MAX_S)
  ttlSeconds: number = 30 * 86_400;
}

export class DataPlaneTokenDto {
  @ApiProperty({ description: 'A machine token (typ data-plane+jwt) for GET /api/events; shown once, never stored.' }) token!: string;
  @ApiProperty({ format: 'uuid' }) tokenId!: string;
  @ApiProperty() expiresAt!: Date;
}

export class CreateEventSubscriptionDto {
  @ApiProperty({ maxLength: 2048, example: 'https://cameleer3.example.com/hooks/platform', description: 'An https URL on a public address; redirects are not followed.' })
  @IsString()
  @MaxLength(2048)
  url!: string;

  @ApiProperty({ type: String, isArray: true, enum: EVENT_PATTERNS, example: ['tenant.*', 'license.issued'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(EVENT_PATTERNS.length)
  @IsIn(EVENT_PATTERNS, { each: true })
  events!: string[];
}

export class EventSubscriptionDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() url!: string;
  @ApiProperty({ type: String, isArray: true }) events!: string[];
  @ApiProperty() createdAt!: Date;
  @ApiProperty() createdBy!: string;
  @ApiProperty({ description: 'Deliveries waiting for their (next) attempt.' }) pending!: number;
  @ApiProperty({ description: 'Dead letters: their last attempt failed; POST …/redeliver queues them again.' }) dead!: number;
}

export class EventSubscriptionPage extends PageOf(EventSubscriptionDto) {}

class DeadLetterDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) eventId!: string;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) tenantId!: string | null;
  @ApiProperty({ enum: ['PENDING', 'DEAD'] }) status!: string;
  @ApiProperty() attempts!: number;
  @ApiProperty({ nullable: true, type: Date }) lastAttemptAt!: Date | null;
  @ApiProperty({ nullable: true, type: String, example: 'HTTP 503' }) lastError!: string | null;
  @ApiProperty() createdAt!: Date;
}

export class DeadLetterPage extends PageOf(DeadLetterDto) {}

export class RedeliverResultDto {
  @ApiProperty({ description: 'How many dead letters were queued again.' }) redelivered!: number;
}
