import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { FieldError, findPage, isUniqueViolation, isUuid, Metrics, Page, PageQuery, queryEntities } from '@app/service-core';
import { AuditTrail, ChangedBy, Keyring, LICENSE_KEYRING } from '@app/security';
import { EventOutbox } from '@app/events';
import { Tenant, TenantsError, TenantsService } from '@app/tenants';
import { License } from './license.entity';
import { LicenseEvents } from './license-events';
import { licenseStatus, LicenseStatus, licenseUsability } from './license-status';
import { licenseClaims, signLicenseClaims } from './license-token';
import { LicensingConfig, licensingConfig } from './licensing.config';
import { LicensingError } from './licensing-errors';
import { LicenseLimits, LimitName, MAX_GRACE_DAYS, MAX_VALIDITY_DAYS } from './tiers/tier-catalog';

const DAY_MS = 86_400_000;
const CURRENT_INDEX = 'uq_licenses_current';
const ISSUE_ATTEMPTS = 3;

/** What `license.issued` tells the data plane: the terms, never the token (it fetches that with its own grant). */
function licenseEventData(license: License, supersededLicenseId: string | null): Record<string, unknown> {
  return {
    licenseId: license.id,
    tier: license.tier,
    features: license.features,
    limits: license.limits,
    startsAt: license.startsAt.toISOString(),
    endsAt: license.endsAt.toISOString(),
    graceDays: license.graceDays,
    supersededLicenseId,
  };
}

export interface IssueLicenseInput {
  readonly tier: string;
  /** Replaces the tier's default features. */
  readonly features?: readonly string[];
  /** Merged over the tier's default limits. */
  readonly limits?: Partial<Record<LimitName, number>>;
  readonly validDays?: number;
  readonly endsAt?: Date;
  readonly graceDays?: number;
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

/** A tenant's license that may be used now (see licenseUsability), with its status and the end of its grace. */
export interface UsableLicense {
  readonly license: License;
  readonly status: LicenseStatus;
  readonly usableUntil: Date;
}

function invalid(field: string, message: string): LicensingError {
  return invalidFields([{ field, messages: [message] }]);
}

function invalidFields(errors: FieldError[]): LicensingError {
  return new LicensingError('VALIDATION_FAILED', 'The request is invalid; see errors for each field.', { errors });
}

function noCurrentLicense(): LicensingError {
  return new LicensingError('NO_CURRENT_LICENSE', 'This tenant has no current license.');
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
    private readonly tenants: TenantsService,
    private readonly audit: AuditTrail,
    private readonly outbox: EventOutbox,
    metrics: Metrics,
  ) {
    if (keyring.purpose !== 'license') {
      throw new TypeError(`LicensingService needs the license keyring, got the ${keyring.purpose} keyring`);
    }
    metrics.gauge(
      'cameleer_license_expiries',
      'Current licenses whose contract ends within the next 7, 30 or 90 days (cumulative), and those past their end but in their grace.',
      ['within'],
      () => this.expiriesAhead(),
    );
  }

  private async expiriesAhead(): Promise<readonly (readonly [{ within: string }, number])[]> {
    const [row] = await this.dataSource.query<{ d7: string; d30: string; d90: string; grace: string }[]>(
      `SELECT count(*) FILTER (WHERE ends_at > now() AND ends_at <= now() + interval '7 days') AS d7,
              count(*) FILTER (WHERE ends_at > now() AND ends_at <= now() + interval '30 days') AS d30,
              count(*) FILTER (WHERE ends_at > now() AND ends_at <= now() + interval '90 days') AS d90,
              count(*) FILTER (WHERE ends_at <= now() AND ends_at + make_interval(days => grace_days) > now()) AS grace
         FROM licenses WHERE state = 'CURRENT'`,
    );
    return [
      [{ within: '7d' }, Number(row?.d7 ?? 0)],
      [{ within: '30d' }, Number(row?.d30 ?? 0)],
      [{ within: '90d' }, Number(row?.d90 ?? 0)],
      [{ within: 'grace' }, Number(row?.grace ?? 0)],
    ];
  }

  /** Issues a license (audited as `license.issued`, in the same transaction) by `by`. */
  async issue(tenantId: string, input: IssueLicenseInput, by: ChangedBy, now: Date = new Date()): Promise<LicenseView> {
    const terms = this.terms(input, now);
    for (let attempt = 1; ; attempt++) {
      try {
        const { license, tenant, superseded } = await this.dataSource.transaction(async (manager) => {
          const tenant = await this.tenants.lockActive(tenantId, manager);
          const supersededRows = await manager.query<[{ id: string }[], number]>(
            `UPDATE licenses SET state = 'SUPERSEDED' WHERE tenant_id = $1 AND state = 'CURRENT' RETURNING id`,
            [tenantId],
          );
          // clock_timestamp(), not now(): a writer that waited for the tenant lock still sorts after the one it waited for.
          const [license] = await queryEntities(
            manager,
            License,
            `INSERT INTO licenses (tenant_id, tier, features, limits, starts_at, ends_at, grace_days, state, issued_by, created_at)
             VALUES ($1, $2, $3::jsonb, $4::jsonb, $5, $6, $7, 'CURRENT', $8, clock_timestamp())
             RETURNING *`,
            [tenantId, terms.tier, JSON.stringify(terms.features), JSON.stringify(terms.limits), now, terms.endsAt, terms.graceDays, by.actor],
          );
          if (license === undefined) {
            throw new Error('INSERT … RETURNING returned no row');
          }
          await this.audit.record({ tenantId, actor: by.actor, action: 'license.issued', targetId: license.id, sourceIp: by.sourceIp }, manager);
          await this.outbox.append(manager, { type: 'license.issued', tenantId, data: licenseEventData(license, supersededRows[0][0]?.id ?? null) });
          return { license, tenant, superseded: supersededRows[0][0]?.id ?? null };
        });
        this.logger.log(`license ${license.id} (${license.tier}, until ${license.endsAt.toISOString()}) issued to tenant ${tenant.slug} by ${by.actor}`);
        this.events.emit({ type: 'issued', tenantId, licenseId: license.id, supersededLicenseId: superseded });
        return this.view(license, now, await this.sign(license, tenant, now));
      } catch (error) {
        // Only reachable if a writer bypassed the tenant lock: the index kept the invariant; try again.
        if (isUniqueViolation(error, CURRENT_INDEX) && attempt < ISSUE_ATTEMPTS) {
          continue;
        }
        throw error;
      }
    }
  }

  /**
   * The tenant's usable license (CURRENT, not revoked, before the end of its grace) with a token signed now (same
   * jti, new iat/exp); NO_CURRENT_LICENSE when there is none, TENANT_NOT_ACTIVE when the tenant is not ACTIVE.
   */
  async current(tenantId: string, now: Date = new Date()): Promise<LicenseView> {
    const tenant = await this.tenants.getExisting(tenantId);
    const usable = await this.usableLicense(tenantId, undefined, now);
    if (usable === undefined) {
      throw noCurrentLicense();
    }
    return this.view(usable.license, now, await this.sign(usable.license, tenant, now));
  }

  /**
   * A token signed now for license `licenseId` of the tenant, while it is still the tenant's usable license: what a
   * replay of an issue carries, since the stored response never holds a token. Same license (jti, claims), new
   * iat/exp. LICENSE_NO_LONGER_USABLE once it was superseded, revoked or is past its grace; TENANT_NOT_ACTIVE as sign.
   */
  async reissueToken(tenantId: string, licenseId: string, now: Date = new Date()): Promise<string> {
    const tenant = await this.tenants.getExisting(tenantId);
    const usable = await this.usableLicense(tenantId, undefined, now);
    if (usable?.license.id !== licenseId) {
      throw new LicensingError('LICENSE_NO_LONGER_USABLE', 'The license issued under this Idempotency-Key was superseded, revoked or has ended; read the history.');
    }
    return this.sign(usable.license, tenant, now);
  }

  /**
   * The one answer to "may tenant `tenantId` use a license now?" (licenseUsability): its CURRENT license if that is
   * not revoked and `now` is before its end plus grace; read in `tx` when given. Undefined otherwise.
   */
  async usableLicense(tenantId: string, tx?: EntityManager, now: Date = new Date()): Promise<UsableLicense | undefined> {
    if (!isUuid(tenantId)) {
      return undefined;
    }
    const license = await (tx ?? this.dataSource.manager).getRepository(License).findOneBy({ tenantId, state: 'CURRENT' });
    const usability = license === null ? undefined : licenseUsability(license, now, this.config.expiryWarningDays);
    return license === null || usability === undefined ? undefined : { license, ...usability };
  }

  /** Every license of the tenant, newest first (no tokens). */
  async history(tenantId: string, query: PageQuery, now: Date = new Date()): Promise<Page<LicenseView>> {
    await this.tenants.getExisting(tenantId);
    const page = await findPage(this.dataSource.getRepository(License), query, { where: { tenantId }, order: { createdAt: 'DESC', id: 'DESC' } });
    return { ...page, items: page.items.map((license) => this.view(license, now)) };
  }

  /**
   * Revokes the CURRENT license (audited as `license.revoked`, in the same transaction): afterwards the tenant has
   * none (GET → 404) until a new one is issued. The audit record does not repeat the free-text reason (it is kept
   * with the license); its `reason` column holds short codes only.
   */
  async revoke(tenantId: string, reason: string, by: ChangedBy, now: Date = new Date()): Promise<LicenseView> {
    const license = await this.dataSource.transaction(async (manager) => {
      await this.tenants.lockExisting(tenantId, manager);
      const license = await this.revokeCurrent(tenantId, reason, by, manager, now);
      if (license === undefined) {
        throw noCurrentLicense();
      }
      return license;
    });
    this.logger.warn(`license ${license.id} of tenant ${tenantId} revoked by ${by.actor}: ${reason}`);
    this.events.emit({ type: 'revoked', tenantId, licenseId: license.id });
    return this.view(license, now);
  }

  /**
   * The tenant's CURRENT license revoked (audited as `license.revoked`, feed event) in `manager`, the caller's
   * transaction, which holds the tenant row's lock; undefined when it has none. `auditReason` is a short code.
   */
  async revokeCurrent(tenantId: string, reason: string, by: ChangedBy, manager: EntityManager, now: Date = new Date(), auditReason?: string): Promise<License | undefined> {
    const [license] = await queryEntities(
      manager,
      License,
      `UPDATE licenses SET state = 'REVOKED', revoked_at = $2, revoked_by = $3, revoke_reason = $4
        WHERE tenant_id = $1 AND state = 'CURRENT' RETURNING *`,
      [tenantId, now, by.actor, reason],
    );
    if (license !== undefined) {
      await this.audit.record({ tenantId, actor: by.actor, action: 'license.revoked', targetId: license.id, sourceIp: by.sourceIp, reason: auditReason }, manager);
      await this.outbox.append(manager, { type: 'license.revoked', tenantId, data: { licenseId: license.id, tier: license.tier } });
    }
    return license;
  }

  /**
   * Signs a token for a license row of `tenant` (exp = now + LICENSE_TOKEN_TTL, never after the end of grace).
   * Only while the tenant is ACTIVE (else TenantsError TENANT_NOT_ACTIVE): the short token life is the only way a
   * suspension or deletion reaches offline verifiers, so a tenant that is not ACTIVE gets no fresh token from anyone.
   */
  sign(license: License, tenant: Tenant, now: Date = new Date()): Promise<string> {
    if (tenant.status !== 'ACTIVE') {
      return Promise.reject(new TenantsError('TENANT_NOT_ACTIVE', `The tenant is ${tenant.status}.`));
    }
    const claims = licenseClaims(
      {
        licenseId: license.id,
        tenantId: license.tenantId,
        tenantSlug: tenant.slug,
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

  private view(license: License, now: Date, token?: string): LicenseView {
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
}
