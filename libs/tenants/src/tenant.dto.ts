import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageQuery } from '@app/service-core';
import { IsTenantName, IsTenantSlug, LOGTO_USER_ID_PATTERN, RESERVED_TENANT_SLUGS } from './tenant-slug';
import { LOGTO_ACTIONS, LogtoAction, Tenant, TENANT_STATUSES, TenantStatus } from './tenant.entity';

const trim = () => Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));

export class CreateTenantDto {
  @ApiProperty({
    description: `DNS label: lowercase letters, digits and hyphens, 3–63 characters, no leading or trailing hyphen, never reused. Reserved: ${[...RESERVED_TENANT_SLUGS].join(', ')}.`,
    example: 'acme',
    minLength: 3,
    maxLength: 63,
    pattern: '^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$',
  })
  @IsTenantSlug()
  slug!: string;

  @ApiProperty({ description: 'Display name, 1–128 characters after trimming, display text only (no control, invisible format or line separator characters).', example: 'Acme Corp', minLength: 1, maxLength: 128 })
  @trim()
  @IsTenantName()
  name!: string;

  @ApiPropertyOptional({ description: 'Logto user id added to the organization with the `owner` organization role.', example: 'u1a2b3c4d5e6' })
  @IsOptional()
  @IsString()
  @Matches(LOGTO_USER_ID_PATTERN, { message: 'ownerUserId must be a Logto user id (1–128 letters, digits, _ or -)' })
  ownerUserId?: string;
}

/** What a tenant admin may change. Any other field (`status` included: see suspend/resume) is a 400. */
export class UpdateTenantDto {
  @ApiProperty({ description: 'New display name, 1–128 characters after trimming, display text only (no control, invisible format or line separator characters).', minLength: 1, maxLength: 128 })
  @trim()
  @IsTenantName()
  name!: string;
}

export class ListTenantsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: TENANT_STATUSES, description: 'Only tenants in this status (deleted tenants are listed only when asked for; purged ones, tombstones, never).' })
  @IsOptional()
  @IsIn(TENANT_STATUSES)
  status?: TenantStatus;

  @ApiPropertyOptional({ description: 'Case-insensitive substring of the slug or the name.', maxLength: 128 })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  q?: string;
}

const SYNC_STATES = ['SYNCED', 'PENDING', 'FAILED'] as const;
type SyncState = (typeof SYNC_STATES)[number];

export class TenantSyncView {
  @ApiProperty({
    enum: SYNC_STATES,
    description:
      'SYNCED: Logto matches the tenant. PENDING: work is pending and retried with backoff (Logto down, 5xx, timeouts, 429). ' +
      'FAILED: Logto refused the work permanently (a 4xx, e.g. an owner who is not a Logto user); it is not retried until ' +
      'an operator fixes the cause and calls POST /api/tenants/{id}/sync.',
  })
  state!: SyncState;
  @ApiProperty({ enum: LOGTO_ACTIONS, nullable: true, type: String, description: 'Logto work still to do for this tenant.' })
  pendingAction!: LogtoAction | null;
  @ApiProperty({ description: 'Attempts made at the pending work so far.' })
  attempts!: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the next attempt is due (null when FAILED or SYNCED).' })
  nextAttemptAt!: string | null;
  @ApiProperty({ type: String, nullable: true, description: "Why the last attempt failed, with Logto's status, code and message." })
  lastError!: string | null;
  @ApiProperty({ type: String, nullable: true, description: "Logto's error code of the last failure (e.g. entity.relation_foreign_key_not_found), when Logto sent one." })
  lastErrorCode!: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'When the work failed permanently (state FAILED).' })
  failedAt!: string | null;
}

function syncState(tenant: Tenant): SyncState {
  if (tenant.syncFailedAt !== null) {
    return 'FAILED';
  }
  return tenant.pendingLogtoAction === null ? 'SYNCED' : 'PENDING';
}

export class TenantView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() slug!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: TENANT_STATUSES }) status!: TenantStatus;
  @ApiProperty({ type: String, nullable: true, description: 'The Logto organization of this tenant, once created.' })
  logtoOrganizationId!: string | null;
  @ApiProperty({ type: String, nullable: true }) ownerUserId!: string | null;
  @ApiProperty({ description: 'Also in the ETag header as W/"<version>"; send it back in If-Match.' }) version!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) deletedAt!: string | null;
  @ApiPropertyOptional({ type: TenantSyncView, description: 'Logto sync state (operators only). The provisioning marker of a tenant is never shown.' })
  sync?: TenantSyncView;
}

/** Something the delete stopped that a restore does not bring back, and what an operator does about it. */
export class StillStoppedView {
  @ApiProperty({ description: 'What: `licensing` (the license revoked at delete), `agents` (the agents disabled at delete)…', example: 'agents' })
  kind!: string;
  @ApiProperty({ description: 'How many stay stopped.', example: 2 })
  count!: number;
  @ApiProperty({ description: 'What an operator does about it.', example: 'Register agents again with a new bootstrap token (POST /api/tenants/{id}/bootstrap-tokens); disabled agents stay disabled and their keys burned.' })
  action!: string;
}

/** A restored tenant: SUSPENDED, with its organization and members; what stays stopped is listed. */
export class RestoredTenantView {
  @ApiProperty({ type: TenantView, description: 'The tenant as GET /api/tenants/{id} shows it (status SUSPENDED); its ETag is in the header.' })
  tenant!: TenantView;
  @ApiProperty({ type: [StillStoppedView], description: 'What the delete stopped and the restore did not bring back; empty when nothing.' })
  stillStopped!: StillStoppedView[];
  @ApiProperty({
    type: [String],
    description: 'What an operator does next, in order.',
    example: ['POST /api/tenants/{id}/resume to make the tenant ACTIVE again', 'POST /api/tenants/{id}/license to issue a license'],
  })
  nextSteps!: string[];
}

export function toTenantView(tenant: Tenant, options: { includeSync: boolean }): TenantView {
  return {
    id: tenant.id,
    slug: tenant.slug,
    name: tenant.name,
    status: tenant.status,
    logtoOrganizationId: tenant.logtoOrganizationId,
    ownerUserId: tenant.ownerUserId,
    version: tenant.version,
    createdAt: tenant.createdAt.toISOString(),
    updatedAt: tenant.updatedAt.toISOString(),
    deletedAt: tenant.deletedAt?.toISOString() ?? null,
    ...(options.includeSync
      ? {
          sync: {
            state: syncState(tenant),
            pendingAction: tenant.pendingLogtoAction,
            attempts: tenant.syncAttempts,
            nextAttemptAt: tenant.nextSyncAt?.toISOString() ?? null,
            lastError: tenant.lastSyncError,
            lastErrorCode: tenant.lastSyncErrorCode,
            failedAt: tenant.syncFailedAt?.toISOString() ?? null,
          },
        }
      : {}),
  };
}

export class MissingOrganizationView {
  @ApiProperty() tenantId!: string;
  @ApiProperty() slug!: string;
  @ApiProperty({ description: 'The organization id the tenant had.' }) previousOrganizationId!: string;
  @ApiProperty({ type: String, nullable: true, description: 'The organization now recorded (null until recreated).' }) organizationId!: string | null;
  @ApiProperty({ description: 'Whether the organization was recreated in this run.' }) repaired!: boolean;
}

export class RenamedOrganizationView {
  @ApiProperty() tenantId!: string;
  @ApiProperty() slug!: string;
  @ApiProperty() organizationId!: string;
  @ApiProperty({ description: 'The name found in Logto.' }) foundName!: string;
  @ApiProperty({ description: "The tenant's name, restored in Logto." }) restoredName!: string;
  @ApiProperty() repaired!: boolean;
}

const ORPHAN_REASONS = ['UNKNOWN_TENANT', 'TENANT_DELETED', 'DUPLICATE', 'UNMARKED'] as const;

export class OrphanOrganizationView {
  @ApiProperty() organizationId!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'customData.tenantId of the organization.' }) claimedTenantId!: string;
  @ApiProperty({
    enum: ORPHAN_REASONS,
    description:
      'UNKNOWN_TENANT: no such tenant. TENANT_DELETED: the tenant is deleted. DUPLICATE: created for the tenant, which has ' +
      'another organization. UNMARKED: claims the tenant without its provisioning marker, so it was not created by this API ' +
      '(anyone able to create organizations in Logto can name a tenant id); it is never adopted.',
  })
  reason!: (typeof ORPHAN_REASONS)[number];
}

export class PlatformScopedRoleView {
  @ApiProperty() roleId!: string;
  @ApiProperty() roleName!: string;
  @ApiProperty({ type: [String], description: 'The platform:* scopes the role carries.' }) scopes!: string[];
}

export class RemovedMemberView {
  @ApiProperty({ format: 'uuid' }) tenantId!: string;
  @ApiProperty() organizationId!: string;
  @ApiProperty({ description: 'A member at the previous drift pass, gone from the organization in Logto now: refused from now on (member.removed).' })
  userId!: string;
}

export class ReconcileReportView {
  @ApiProperty({ format: 'date-time' }) ranAt!: string;
  @ApiProperty() tenantsChecked!: number;
  @ApiProperty() organizationsChecked!: number;
  @ApiProperty({ type: [MissingOrganizationView] }) missingOrganizations!: MissingOrganizationView[];
  @ApiProperty({ type: [RenamedOrganizationView] }) renamedOrganizations!: RenamedOrganizationView[];
  @ApiProperty({ type: [RemovedMemberView], description: 'Members removed in Logto that no webhook reported here (Logto does not retry a delivery).' })
  removedMembers!: RemovedMemberView[];
  @ApiProperty({ type: [OrphanOrganizationView], description: 'Reported only, never deleted.' }) orphanOrganizations!: OrphanOrganizationView[];
  @ApiProperty({
    type: [PlatformScopedRoleView],
    description: 'ALERT: organization roles carrying platform:* scopes would make every member holding them an operator.',
  })
  platformScopedRoles!: PlatformScopedRoleView[];
}
