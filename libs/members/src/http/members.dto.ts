import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsEmail, IsString, Matches, MaxLength } from 'class-validator';
import { PageOf } from '@app/service-core';
import { DELIVERY_FAILURES, INVITATION_STATUSES } from '../invitations.service';

/** Organization role names as the bootstrap makes them (owner, admin, member): a conservative charset, no display tricks. */
const ROLE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
/** Logto user ids: letters, digits, `_` and `-` (core's generateStandardId / ShortId). */
const LOGTO_ID = /^[A-Za-z0-9_-]{1,64}$/;

export class TenantMemberParams {
  @ApiProperty({ format: 'uuid', description: 'The tenant.' }) @IsString() id!: string;
  @ApiProperty({ description: 'The member’s Logto user id.' })
  @IsString()
  @Matches(LOGTO_ID, { message: 'userId must be a Logto user id (1–64 letters, digits, _ or -)' })
  userId!: string;
}

export class TenantInvitationParams {
  @ApiProperty({ format: 'uuid', description: 'The tenant.' }) @IsString() id!: string;
  @ApiProperty({ description: 'The Logto invitation id.' })
  @IsString()
  @Matches(LOGTO_ID, { message: 'invitationId must be a Logto id (1–64 letters, digits, _ or -)' })
  invitationId!: string;
}

export class InvitationParams {
  @ApiProperty({ description: 'The Logto invitation id.' })
  @IsString()
  @Matches(LOGTO_ID, { message: 'invitationId must be a Logto id (1–64 letters, digits, _ or -)' })
  invitationId!: string;
}

export class MemberDto {
  @ApiProperty({ description: 'Logto user id.' }) userId!: string;
  @ApiProperty({ type: String, nullable: true }) username!: string | null;
  @ApiProperty({ type: String, nullable: true }) name!: string | null;
  @ApiProperty({ type: String, nullable: true }) primaryEmail!: string | null;
  @ApiProperty({ type: [String], description: 'The member’s organization roles in this tenant, by name (sorted).' }) roles!: string[];
  @ApiProperty({ description: 'Suspended in Logto (cannot sign in).' }) suspended!: boolean;
}

export class MemberPage extends PageOf(MemberDto) {}

export class ReplaceRolesRequest {
  @ApiProperty({
    type: [String],
    description: 'The member’s roles from now on, by name (1–20, e.g. ["admin"]). Unknown names are 422 UNKNOWN_ROLE listing the valid ones.',
    example: ['admin'],
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @ArrayUnique()
  @IsString({ each: true })
  @Matches(ROLE_NAME, { each: true, message: 'each role must be a role name (letters, digits, _ . : -; at most 128)' })
  roles!: string[];
}

export class InviteRequest {
  @ApiProperty({ description: 'Who is invited: the email address their Logto account must have as primary email to accept.', example: 'jane@example.com', maxLength: 254 })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @MaxLength(254)
  // Printable ASCII only: no internationalized domains, so no bidi or invisible characters can hide in one.
  @Matches(/^[\x21-\x7e]+$/, { message: 'email must be printable ASCII' })
  @IsEmail({ allow_display_name: false, allow_ip_domain: false, allow_utf8_local_part: false })
  email!: string;

  @ApiProperty({ description: 'The organization role the invitee gets on accepting, by name.', example: 'member' })
  @IsString()
  @Matches(ROLE_NAME, { message: 'role must be a role name (letters, digits, _ . : -; at most 128)' })
  role!: string;
}

export class InvitationDto {
  @ApiProperty({ description: 'Logto invitation id.' }) id!: string;
  @ApiProperty() email!: string;
  @ApiProperty({ type: [String], description: 'Roles given on acceptance, by name.' }) roles!: string[];
  @ApiProperty({ enum: INVITATION_STATUSES, description: 'Pending until accepted, revoked or past expiresAt (then Expired).' }) status!: string;
  @ApiProperty({ type: String, nullable: true, description: 'The Logto user who invited; null when the platform (an operator) did.' }) inviterId!: string | null;
  @ApiProperty({ type: String, nullable: true }) acceptedUserId!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
}

export class InvitationPage extends PageOf(InvitationDto) {}

export class InvitationDeliveryDto {
  @ApiProperty({ description: 'Whether Logto accepted the email for sending.' }) sent!: boolean;
  @ApiPropertyOptional({ enum: DELIVERY_FAILURES, description: 'Why it was not sent (only when sent is false).' }) reason?: string;
  @ApiPropertyOptional({ description: 'What to do about it.' }) detail?: string;
}

export class SentInvitationDto {
  @ApiProperty({ type: InvitationDto }) invitation!: InvitationDto;
  @ApiProperty({ type: InvitationDeliveryDto }) delivery!: InvitationDeliveryDto;
}
