import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { assertConfigValid, ConfigValidationError, loadConfig } from '@app/service-core';
import { licensingConfigSchema, parseDurationSeconds } from '../licensing.config';
import { loadTierCatalog, parseTierCatalog, TierCatalogError } from './tier-catalog';

const SHIPPED = resolve(__dirname, '../../../../config/tiers.yaml');

function problems(text: string): string[] {
  try {
    parseTierCatalog(text, 'test.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(TierCatalogError);
    return [...(error as TierCatalogError).problems];
  }
  throw new Error('expected the catalog to be refused');
}

const shipped = readFileSync(SHIPPED, 'utf8');

describe('tier catalog', () => {
  it('loads the shipped config/tiers.yaml', () => {
    const catalog = loadTierCatalog(SHIPPED);
    expect(catalog.tiers().map((tier) => tier.name)).toEqual(['free', 'starter', 'pro', 'enterprise']);
    expect(catalog.featureCodes()).toEqual(['tracing', 'metrics', 'logs', 'alerts', 'sso', 'audit-log', 'custom-retention']);
    expect(catalog.tier('pro')).toEqual({
      name: 'pro',
      features: ['tracing', 'metrics', 'logs', 'alerts', 'audit-log'],
      limits: { maxAgents: 50, maxEnvironments: 5, retentionDays: 30, maxUsers: 50 },
      defaultValidityDays: 365,
    });
    expect(catalog.tier('enterprise')?.graceDays).toBe(30);
    expect(catalog.tier('platinum')).toBeUndefined();
  });

  it.each([
    ['an unknown feature in a tier', shipped.replace('features: [tracing, metrics]\n', 'features: [tracing, telepathy]\n'), 'tiers.free.features: "telepathy" is not a declared feature'],
    ['a negative limit', shipped.replace('maxAgents: 2,', 'maxAgents: -2,'), 'tiers.free.limits.maxAgents: must be a non-negative integer'],
    ['a fractional limit', shipped.replace('maxAgents: 2,', 'maxAgents: 2.5,'), 'tiers.free.limits.maxAgents: must be a non-negative integer'],
    ['a limit as a string', shipped.replace('maxAgents: 2,', 'maxAgents: "2",'), 'tiers.free.limits.maxAgents: must be a non-negative integer'],
    ['an unknown limit', shipped.replace('maxAgents: 2,', 'maxAgents: 2, maxPlanets: 1,'), 'tiers.free.limits.maxPlanets: unknown limit'],
    ['a missing limit', shipped.replace('maxAgents: 2, ', ''), 'tiers.free.limits.maxAgents: missing'],
    ['a missing tier', shipped.replace(/ {2}starter:[\s\S]*? {2}pro:/, '  pro:'), 'tiers.starter: missing'],
    ['an unknown tier', `${shipped}  platinum:\n    features: []\n    limits: {}\n    defaultValidityDays: 1\n`, 'tiers.platinum: unknown tier'],
    ['a zero validity', shipped.replace('defaultValidityDays: 365\n    graceDays: 7', 'defaultValidityDays: 0\n    graceDays: 7'), 'tiers.free.defaultValidityDays: must be an integer from 1 to 1826'],
    ['grace over 90 days', shipped.replace('graceDays: 7', 'graceDays: 120'), 'tiers.free.graceDays: must be an integer from 0 to 90'],
    ['a bad feature code', shipped.replace('  tracing: Distributed', '  Tracing!: Distributed'), 'features.Tracing!: a feature code is'],
    ['a duplicate key', shipped.replace('  metrics: Route', '  tracing: again\n  metrics: Route'), 'not valid YAML'],
    ['an unknown top-level key', `${shipped}\nextras: 1\n`, 'unknown top-level key "extras"'],
    ['a YAML alias', shipped.replace('features: [tracing, metrics]\n', 'features: &f [tracing, metrics]\n').replace('features: [tracing, metrics, logs]\n', 'features: *f\n'), 'not valid YAML'],
    ['not a mapping', '- a\n- b\n', 'the document must be a mapping'],
  ])('refuses %s, naming it', (_name, text, expected) => {
    expect(problems(text).join('\n')).toContain(expected);
  });

  it('names every problem at once', () => {
    const text = shipped.replace('maxAgents: 2,', 'maxAgents: -1,').replace('graceDays: 30', 'graceDays: 91');
    const found = problems(text);
    expect(found).toHaveLength(2);
  });
});

describe('licensing config', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tiers-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ TIERS_FILE: SHIPPED, ...extra });

  it('has defaults outside production', () => {
    const config = loadConfig(licensingConfigSchema, env());
    expect(config).toMatchObject({ issuer: 'https://cameleer.local', audience: 'cameleer3-server', tokenTtlSeconds: 30 * 86_400, expiryWarningDays: 30, defaultGraceDays: 14 });
  });

  it('requires LICENSE_ISSUER in production and keeps it exactly (minus trailing slashes)', () => {
    expect(() => assertConfigValid([licensingConfigSchema], env({ NODE_ENV: 'production' }))).toThrow(/LICENSE_ISSUER: required in production/);
    expect(loadConfig(licensingConfigSchema, env({ NODE_ENV: 'production', LICENSE_ISSUER: 'https://cameleer.example.com/' })).issuer).toBe('https://cameleer.example.com');
    expect(() => loadConfig(licensingConfigSchema, env({ LICENSE_ISSUER: 'not a url' }))).toThrow(/LICENSE_ISSUER/);
  });

  it('reads LICENSE_TOKEN_TTL as seconds or with a unit, within bounds', () => {
    expect(parseDurationSeconds('30d')).toBe(2_592_000);
    expect(parseDurationSeconds('12h')).toBe(43_200);
    expect(parseDurationSeconds('3600')).toBe(3600);
    expect(parseDurationSeconds('1w')).toBeUndefined();
    expect(loadConfig(licensingConfigSchema, env({ LICENSE_TOKEN_TTL: '7d' })).tokenTtlSeconds).toBe(604_800);
    expect(() => loadConfig(licensingConfigSchema, env({ LICENSE_TOKEN_TTL: '10s' }))).toThrow(/LICENSE_TOKEN_TTL/);
    expect(() => loadConfig(licensingConfigSchema, env({ LICENSE_TOKEN_TTL: '400d' }))).toThrow(/LICENSE_TOKEN_TTL/);
    expect(() => loadConfig(licensingConfigSchema, env({ LICENSE_TOKEN_TTL: 'soon' }))).toThrow(/LICENSE_TOKEN_TTL/);
  });

  it('stops the boot on a bad or missing catalog with a message naming the file and the problem', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, shipped.replace('maxUsers: 50 }', 'maxUsers: -5 }'));
    let error: unknown;
    try {
      assertConfigValid([licensingConfigSchema], env({ TIERS_FILE: bad }));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    expect((error as Error).message).toContain(`TIERS_FILE (${bad}): tiers.pro.limits.maxUsers: must be a non-negative integer`);
    expect(() => assertConfigValid([licensingConfigSchema], env({ TIERS_FILE: join(dir, 'missing.yaml') }))).toThrow(/cannot read the file \(ENOENT\)/);
  });
});
