import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

export const TIER_NAMES = ['free', 'starter', 'pro', 'enterprise'] as const;
export type TierName = (typeof TIER_NAMES)[number];

export const LIMIT_NAMES = ['maxAgents', 'maxEnvironments', 'retentionDays', 'maxUsers'] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];
export type LicenseLimits = Readonly<Record<LimitName, number>>;

/** Longest contract a license may have: 5 years (validDays, endsAt and a tier's defaultValidityDays). */
export const MAX_VALIDITY_DAYS = 1826;
export const MAX_GRACE_DAYS = 90;
/** Largest value a limit may take (fits an int4 and any consumer's int). */
export const MAX_LIMIT_VALUE = 1_000_000_000;

const FEATURE_CODE = /^[a-z][a-z0-9-]{0,62}$/;

export interface TierDefinition {
  readonly name: TierName;
  readonly features: readonly string[];
  readonly limits: LicenseLimits;
  readonly defaultValidityDays: number;
  /** Undefined: the configured default (LICENSE_DEFAULT_GRACE_DAYS). */
  readonly graceDays?: number;
}

export class TierCatalogError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`Invalid tier catalog ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'TierCatalogError';
  }
}

/** The tiers and the feature codes licenses may carry, validated once at boot. */
export class TierCatalog {
  private readonly byName: ReadonlyMap<string, TierDefinition>;

  constructor(
    /** Feature code → description, in catalog order. */
    readonly features: ReadonlyMap<string, string>,
    tiers: readonly TierDefinition[],
  ) {
    this.byName = new Map(tiers.map((tier) => [tier.name, tier]));
  }

  tier(name: string): TierDefinition | undefined {
    return this.byName.get(name);
  }

  tiers(): TierDefinition[] {
    return [...this.byName.values()];
  }

  isFeature(code: string): boolean {
    return this.features.has(code);
  }

  featureCodes(): string[] {
    return [...this.features.keys()];
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonNegativeInteger(value: unknown, max: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= max;
}

/** Parses and validates catalog text; throws a TierCatalogError naming every problem. */
export function parseTierCatalog(text: string, source = 'tiers.yaml'): TierCatalog {
  let document: unknown;
  try {
    // Plain data only: no custom tags, and duplicate keys are an error (yaml's default).
    document = parseYaml(text, { schema: 'core', merge: false, maxAliasCount: 0 });
  } catch (error) {
    throw new TierCatalogError(source, [`not valid YAML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`]);
  }
  const problems: string[] = [];
  if (!isRecord(document)) {
    throw new TierCatalogError(source, ['the document must be a mapping with `features` and `tiers`']);
  }
  for (const key of Object.keys(document)) {
    if (key !== 'features' && key !== 'tiers') {
      problems.push(`unknown top-level key "${key}" (expected features, tiers)`);
    }
  }

  const features = new Map<string, string>();
  if (!isRecord(document.features)) {
    problems.push('features: must be a mapping of feature code to description');
  } else {
    for (const [code, description] of Object.entries(document.features)) {
      if (!FEATURE_CODE.test(code)) {
        problems.push(`features.${code}: a feature code is lowercase letters, digits and hyphens, starting with a letter (1-63 characters)`);
      } else if (typeof description !== 'string' || description.trim() === '') {
        problems.push(`features.${code}: needs a description (a non-empty string)`);
      } else {
        features.set(code, description.trim());
      }
    }
    if (Object.keys(document.features).length === 0) {
      problems.push('features: declares no feature');
    }
  }

  const tiers: TierDefinition[] = [];
  if (!isRecord(document.tiers)) {
    problems.push(`tiers: must be a mapping with the tiers ${TIER_NAMES.join(', ')}`);
  } else {
    for (const name of Object.keys(document.tiers)) {
      if (!(TIER_NAMES as readonly string[]).includes(name)) {
        problems.push(`tiers.${name}: unknown tier (the tiers are ${TIER_NAMES.join(', ')})`);
      }
    }
    for (const name of TIER_NAMES) {
      const tier = parseTier(name, document.tiers[name], features, problems);
      if (tier !== undefined) {
        tiers.push(tier);
      }
    }
  }
  if (problems.length > 0) {
    throw new TierCatalogError(source, problems);
  }
  return new TierCatalog(features, tiers);
}

function parseTier(name: TierName, raw: unknown, features: ReadonlyMap<string, string>, problems: string[]): TierDefinition | undefined {
  const at = `tiers.${name}`;
  if (raw === undefined) {
    problems.push(`${at}: missing`);
    return undefined;
  }
  if (!isRecord(raw)) {
    problems.push(`${at}: must be a mapping with features, limits and defaultValidityDays`);
    return undefined;
  }
  const before = problems.length;
  for (const key of Object.keys(raw)) {
    if (!['features', 'limits', 'defaultValidityDays', 'graceDays'].includes(key)) {
      problems.push(`${at}.${key}: unknown key (expected features, limits, defaultValidityDays, graceDays)`);
    }
  }

  const tierFeatures: string[] = [];
  if (!Array.isArray(raw.features)) {
    problems.push(`${at}.features: must be a list of feature codes`);
  } else {
    for (const code of raw.features as unknown[]) {
      if (typeof code !== 'string' || !features.has(code)) {
        problems.push(`${at}.features: "${String(code)}" is not a declared feature`);
      } else if (tierFeatures.includes(code)) {
        problems.push(`${at}.features: "${code}" is listed twice`);
      } else {
        tierFeatures.push(code);
      }
    }
  }

  const limits: Partial<Record<LimitName, number>> = {};
  if (!isRecord(raw.limits)) {
    problems.push(`${at}.limits: must be a mapping of ${LIMIT_NAMES.join(', ')}`);
  } else {
    for (const key of Object.keys(raw.limits)) {
      if (!(LIMIT_NAMES as readonly string[]).includes(key)) {
        problems.push(`${at}.limits.${key}: unknown limit (the limits are ${LIMIT_NAMES.join(', ')})`);
      }
    }
    for (const limit of LIMIT_NAMES) {
      const value = raw.limits[limit];
      if (value === undefined) {
        problems.push(`${at}.limits.${limit}: missing`);
      } else if (!isNonNegativeInteger(value, MAX_LIMIT_VALUE)) {
        problems.push(`${at}.limits.${limit}: must be a non-negative integer (at most ${MAX_LIMIT_VALUE}), not ${JSON.stringify(value)}`);
      } else {
        limits[limit] = value;
      }
    }
  }

  const validity = raw.defaultValidityDays;
  if (!isNonNegativeInteger(validity, MAX_VALIDITY_DAYS) || validity < 1) {
    problems.push(`${at}.defaultValidityDays: must be an integer from 1 to ${MAX_VALIDITY_DAYS}, not ${JSON.stringify(validity)}`);
  }
  const grace = raw.graceDays;
  if (grace !== undefined && !isNonNegativeInteger(grace, MAX_GRACE_DAYS)) {
    problems.push(`${at}.graceDays: must be an integer from 0 to ${MAX_GRACE_DAYS}, not ${JSON.stringify(grace)}`);
  }
  if (problems.length > before) {
    return undefined;
  }
  return {
    name,
    features: tierFeatures,
    limits: limits as LicenseLimits,
    defaultValidityDays: validity as number,
    ...(grace !== undefined ? { graceDays: grace as number } : {}),
  };
}

/** Reads and validates the catalog file; a missing or unreadable file is a TierCatalogError too. */
export function loadTierCatalog(path: string): TierCatalog {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'unreadable';
    throw new TierCatalogError(path, [`cannot read the file (${code})`]);
  }
  return parseTierCatalog(text, path);
}
