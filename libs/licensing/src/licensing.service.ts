import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { FieldError, isUniqueViolation, Page, PageQuery, ProblemException, toPage } from '@app/service-core';
import { Keyring, LICENSE_KEYRING, tenantNotFound } from '@app/security';
import { License, licenseFromRow, LicenseRow } from './license.entity';
import { LicenseEvents } from './license-events';
import { licenseStatus, LicenseStatus } from './license-status';
import { licenseClaims, signLicenseClaims } from './license-token';
import { LicensingConfig, licensingConfig } from './licensing.config';
import { LicenseLimits, LimitName, MAX_GRACE_DAYS, MAX_VALIDITY_DAYS } from './tiers/tier-catalog';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DAY_MS = 86_400_000;
const CURRENT_INDEX = 'uq_licenses_current';
const ISSUE_ATTEMPTS = 3;

export interface IssueLicenseInput {
  readonly tier: string;
  /** Replaces the tier's default features. */
  readonly features?: readonly string[];
  /** Merged over the tier's default limits. */
  readonly limits?: Partial<Record<LimitName, number>>;
  readonly validDays?: number;
  readonly endsAt?: Date;
  readonly graceDays?: number;
  /** Who issues it (principal subject). */
  readonly issuedBy: string;
}

/** A license as the API shows it: the row plus its computed status, and a freshly signed token where asked. */
export interface LicenseView {
  readonly id: string;
  readonly tenantId: string;
  readonly tier: string;
  readonly features: readonly string[];
  readonly limits: LicenseLimits;
  readonly startsAt: Date;
  readonly endsAt: Date;
  readonly graceDays: number;
  readonly state: License['state'];
  readonly status: LicenseStatus;
  readonly issuedBy: string;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
  readonly revokedBy: string | null;
  readonly revokeReason: string | null;
  readonly token?: string;
}

interface TenantRef {
  readonly id: string;
  readonly slug: string;
  readonly status: string;
}

function invalid(field: string, message: string): ProblemException {
  return invalidFields([{ field, messages: [message] }]);
}

function invalidFields(errors: FieldError[]): ProblemException {
  return new ProblemException(400, 'VALIDATION_FAILED', 'The request is invalid; see errors for each field.', { errors });
}

export function noCurrentLicense(): ProblemException {
  return new ProblemException(404, 'NO_CURRENT_LICENSE', 'This tenant has no current license.');
}

/**
 * Issues, reads and revokes tenant licenses. Every write takes the tenant row's lock first, so writes for one
 * tenant are serialized and the supersede + insert of an issue is one atomic step; the partial unique index
 * uq_licenses_current is the last line of defence (a violation is retried).
 */
@Injectable()
export class LicensingService {
  private readonly logger = new Logger('Licensing');

  constructor(
    private readonly dataSource: DataSource,
    @Inject(LICENSE_KEYRING) private readonly keyring: Keyring,
    @Inject(licensingConfig.KEY) private readonly config: LicensingConfig,
    private readonly events: LicenseEvents,
  ) {
    if (keyring.purpose !== 'license') {
      throw new TypeError(`LicensingService needs the license keyring, got the ${keyring.purpose} keyring`);
    }
  }

  get catalog(): LicensingConfig['catalog'] {
    return this.config.catalog;
  }

  async issue(tenantId: string, input: IssueLicenseInput, now: Date = new Date()): Promise<LicenseView> {
    const terms = this.terms(input, now);
    for (let attempt = 1; ; attempt++) {
      try {
        const { license, tenant, superseded } = await this.dataSource.transaction(async (manager) => {
          const tenant = await this.lockTenant(manager, tenantId);
          if (tenant.status !== 'ACTIVE') {
            throw new ProblemException(409, 'TENANT_NOT_ACTIVE', `The tenant is ${tenant.status}; licenses are issued to ACTIVE tenants only.`);
          }
          const supersededRows = await manager.query<[{ id: string }[], number]>(
            `UPDATE licenses SET state = 'SUPERSEDED' WHERE tenant_id = $1 AND state = 'CURRENT' RETURNING id`,
            [tenantId],
          );
          const rows = await manager.query<LicenseRow[]>(
            `INSERT INTO licenses (tenant_id, tier, features, limits, starts_at, ends_at, grace_days, state, issued_by, created_at)
             VALUES ($1, $2, $3::jsonb, $4::jsonb, $5, $6, $7, 'CURRENT', $8, clock_timestamp())
             RETURNING *`,
            [tenantId, terms.tier, JSON.stringify(terms.features), JSON.stringify(terms.limits), now, terms.endsAt, terms.graceDays, input.issuedBy],
          );
          return { license: licenseFromRow(rows[0] as LicenseRow), tenant, superseded: supersededRows[0][0]?.id ?? null };
        });
        this.logger.log(`license ${license.id} (${license.tier}, until ${license.endsAt.toISOString()}) issued to tenant ${tenant.slug} by ${input.issuedBy}`);
        this.events.emit({ type: 'issued', tenantId, licenseId: license.id, supersededLicenseId: superseded });
        return this.view(license, now, await this.sign(license, tenant.slug, now));
      } catch (error) {
        // Only reachable if a writer bypassed the tenant lock: the index kept the invariant; try again.
        if (isUniqueViolation(error, CURRENT_INDEX) && attempt < ISSUE_ATTEMPTS) {
          continue;
        }
        throw error;
      }
    }
  }

  /** The CURRENT license with a token signed now (same jti, new iat/exp); 404 NO_CURRENT_LICENSE when none. */
  async current(tenantId: string, now: Date = new Date()): Promise<LicenseView> {
    const tenant = await this.findTenant(this.dataSource.manager, tenantId);
    if (tenant === undefined) {
      throw tenantNotFound();
    }
    const rows = await this.dataSource.query<LicenseRow[]>(`SELECT * FROM licenses WHERE tenant_id = $1 AND state = 'CURRENT'`, [tenantId]);
    const row = rows[0];
    if (row === undefined) {
      throw noCurrentLicense();
    }
    const license = licenseFromRow(row);
    return this.view(license, now, await this.sign(license, tenant.slug, now));
  }

  /** Every license of the tenant, newest first (no tokens). */
  async history(tenantId: string, query: PageQuery, now: Date = new Date()): Promise<Page<LicenseView>> {
    if ((await this.findTenant(this.dataSource.manager, tenantId)) === undefined) {
      throw tenantNotFound();
    }
    const [rows, counted] = await Promise.all([
      this.dataSource.query<LicenseRow[]>(`SELECT * FROM licenses WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3`, [
        tenantId,
        query.pageSize,
        query.offset,
      ]),
      this.dataSource.query<{ total: number }[]>(`SELECT count(*)::int AS total FROM licenses WHERE tenant_id = $1`, [tenantId]),
    ]);
    return toPage(
      rows.map((row) => this.view(licenseFromRow(row), now)),
      counted[0]?.total ?? 0,
      query,
    );
  }

  /** Revokes the CURRENT license: afterwards the tenant has none (GET → 404) until a new one is issued. */
  async revoke(tenantId: string, reason: string, revokedBy: string, now: Date = new Date()): Promise<LicenseView> {
    const license = await this.dataSource.transaction(async (manager) => {
      await this.lockTenant(manager, tenantId);
      const [rows] = await manager.query<[LicenseRow[], number]>(
        `UPDATE licenses SET state = 'REVOKED', revoked_at = $2, revoked_by = $3, revoke_reason = $4
          WHERE tenant_id = $1 AND state = 'CURRENT' RETURNING *`,
        [tenantId, now, revokedBy, reason],
      );
      const row = rows[0];
      if (row === undefined) {
        throw noCurrentLicense();
      }
      return licenseFromRow(row);
    });
    this.logger.warn(`license ${license.id} of tenant ${tenantId} revoked by ${revokedBy}: ${reason}`);
    this.events.emit({ type: 'revoked', tenantId, licenseId: license.id });
    return this.view(license, now);
  }

  /** Signs a token for a license row (exp = now + LICENSE_TOKEN_TTL, never after the end of grace). */
  sign(license: License, tenantSlug: string, now: Date = new Date()): Promise<string> {
    const claims = licenseClaims(
      {
        licenseId: license.id,
        tenantId: license.tenantId,
        tenantSlug,
        tier: license.tier,
        features: license.features,
        limits: license.limits,
        endsAt: license.endsAt,
        graceDays: license.graceDays,
      },
      { issuer: this.config.issuer, audience: this.config.audience, ttlSeconds: this.config.tokenTtlSeconds },
      now,
    );
    return signLicenseClaims(claims, this.keyring.current);
  }

  view(license: License, now: Date, token?: string): LicenseView {
    return {
      id: license.id,
      tenantId: license.tenantId,
      tier: license.tier,
      features: license.features,
      limits: license.limits,
      startsAt: license.startsAt,
      endsAt: license.endsAt,
      graceDays: license.graceDays,
      state: license.state,
      status: licenseStatus(license.endsAt, now, this.config.expiryWarningDays),
      issuedBy: license.issuedBy,
      createdAt: license.createdAt,
      revokedAt: license.revokedAt,
      revokedBy: license.revokedBy,
      revokeReason: license.revokeReason,
      ...(token !== undefined ? { token } : {}),
    };
  }

  /** Checks the request against the catalog and resolves tier defaults; every problem is a 400 naming its field. */
  private terms(input: IssueLicenseInput, now: Date): { tier: string; features: string[]; limits: LicenseLimits; endsAt: Date; graceDays: number } {
    const catalog = this.config.catalog;
    const tier = catalog.tier(input.tier);
    if (tier === undefined) {
      throw invalid('tier', `unknown tier "${input.tier}"; the tiers are ${catalog.tiers().map((t) => t.name).join(', ')}`);
    }
    const errors: FieldError[] = [];
    const unknown = (input.features ?? []).filter((code) => !catalog.isFeature(code));
    if (unknown.length > 0) {
      errors.push({ field: 'features', messages: [`unknown feature(s) ${unknown.map((c) => `"${c}"`).join(', ')}; the features are ${catalog.featureCodes().join(', ')}`] });
    }
    if (input.validDays !== undefined && input.endsAt !== undefined) {
      errors.push({ field: 'endsAt', messages: ['give validDays or endsAt, not both'] });
    }
    const endsAt = input.endsAt ?? new Date(now.getTime() + (input.validDays ?? tier.defaultValidityDays) * DAY_MS);
    if (endsAt.getTime() <= now.getTime()) {
      errors.push({ field: input.endsAt !== undefined ? 'endsAt' : 'validDays', messages: ['the license must end in the future'] });
    } else if (endsAt.getTime() > now.getTime() + MAX_VALIDITY_DAYS * DAY_MS) {
      errors.push({ field: input.endsAt !== undefined ? 'endsAt' : 'validDays', messages: [`a license lasts at most ${MAX_VALIDITY_DAYS} days (5 years)`] });
    }
    const graceDays = input.graceDays ?? tier.graceDays ?? this.config.defaultGraceDays;
    if (!Number.isInteger(graceDays) || graceDays < 0 || graceDays > MAX_GRACE_DAYS) {
      errors.push({ field: 'graceDays', messages: [`must be an integer from 0 to ${MAX_GRACE_DAYS}`] });
    }
    if (errors.length > 0) {
      throw invalidFields(errors);
    }
    const features = input.features !== undefined ? [...new Set(input.features)] : [...tier.features];
    // Only the limits the request names; a DTO instance may carry the others as undefined properties.
    const overrides = Object.fromEntries(Object.entries(input.limits ?? {}).filter(([name, value]) => value !== undefined && name in tier.limits));
    return { tier: tier.name, features, limits: { ...tier.limits, ...overrides }, endsAt, graceDays };
  }

  private async findTenant(manager: EntityManager, tenantId: string, lock = false): Promise<TenantRef | undefined> {
    if (!UUID.test(tenantId)) {
      return undefined;
    }
    // The tenants table read directly (id, slug, status): the one fact licensing needs, inside its own transaction.
    const rows = await manager.query<TenantRef[]>(`SELECT id, slug, status FROM tenants WHERE id = $1${lock ? ' FOR NO KEY UPDATE' : ''}`, [tenantId]);
    const tenant = rows[0];
    return tenant === undefined || tenant.status === 'DELETED' ? undefined : tenant;
  }

  /** The tenant row, locked for the rest of the transaction: license writes for one tenant run one at a time. */
  private async lockTenant(manager: EntityManager, tenantId: string): Promise<TenantRef> {
    const tenant = await this.findTenant(manager, tenantId, true);
    if (tenant === undefined) {
      throw tenantNotFound();
    }
    return tenant;
  }
}
