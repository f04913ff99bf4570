import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/**
 * `npm run lint` refuses an import against the dependency direction: the repository's dependency-cruiser
 * configuration is run on a fixture tree laid out like the repository, and the repository's ESLint rules for
 * libs/agents on fixture sources. The table below is the contract (issue 11), written independently of the config.
 */
const allowed: Record<string, string[]> = {
  cli: [],
  'service-core': [],
  'logto-client': ['service-core'],
  security: ['service-core'],
  events: ['security', 'service-core'],
  tenants: ['events', 'security', 'logto-client', 'service-core'],
  licensing: ['events', 'tenants', 'security', 'service-core'],
  'forward-auth': ['licensing', 'tenants', 'security', 'service-core'],
  agents: ['events', 'forward-auth', 'licensing', 'tenants', 'security', 'service-core'],
  'edge-sessions': ['security', 'service-core'],
};
const libs = Object.keys(allowed);
const root = resolve(__dirname, '../..');

describe('dependency direction (dependency-cruiser, .dependency-cruiser.js)', () => {
  let fixture: string;
  const files: Record<string, string> = {};
  const expectedRefused = new Set<string>();
  const expectedAccepted = new Set<string>();

  /** Adds a fixture file with one import; `refused` says whether the rules must reject that edge. */
  function edge(from: string, specifier: string, to: string, refused: boolean, statement = `import { marker } from '${specifier}';\nexport const used = marker;\n`): void {
    files[from] = statement;
    (refused ? expectedRefused : expectedAccepted).add(`${from} -> ${to}`);
  }

  beforeAll(() => {
    fixture = mkdtempSync(join(tmpdir(), 'dependency-rules-'));
    const paths = Object.fromEntries(libs.map((lib) => [`@app/${lib}`, [`libs/${lib}/src`]]));
    files['tsconfig.json'] = JSON.stringify({ compilerOptions: { baseUrl: './', paths } });
    for (const lib of libs) {
      files[`libs/${lib}/src/index.ts`] = 'export const marker = 1;\n';
      files[`libs/${lib}/src/internal.ts`] = 'export const marker = 1;\n';
    }
    files['apps/api/src/main.ts'] = 'export const marker = 1;\n';
    files['test/support/helper.ts'] = 'export const marker = 1;\n';

    for (const from of libs) {
      for (const to of libs.filter((lib) => lib !== from)) {
        edge(`libs/${from}/src/uses-${to}.ts`, `@app/${to}`, `libs/${to}/src/index.ts`, !allowed[from]!.includes(to));
      }
    }
    for (const lib of libs) {
      edge(`apps/api/src/uses-${lib}.ts`, `@app/${lib}`, `libs/${lib}/src/index.ts`, false);
      edge(`test/e2e/uses-${lib}.e2e-spec.ts`, `@app/${lib}`, `libs/${lib}/src/index.ts`, false);
    }
    edge('apps/dev-idp/src/uses-lib.ts', '@app/service-core', 'libs/service-core/src/index.ts', true);
    // The command-line helper is the one lib the dev IdP may use: it needs node built-ins only.
    edge('apps/dev-idp/src/uses-cli.ts', '@app/cli', 'libs/cli/src/index.ts', false);
    edge('apps/dev-idp/src/uses-api.ts', '../../api/src/main', 'apps/api/src/main.ts', true);
    edge('libs/service-core/src/uses-app.ts', '../../../apps/api/src/main', 'apps/api/src/main.ts', true);
    edge('libs/tenants/src/uses-test-support.ts', '../../../test/support/helper', 'test/support/helper.ts', true);
    edge('libs/tenants/src/tenant.spec.ts', '../../../test/support/helper', 'test/support/helper.ts', false);
    edge('libs/tenants/src/uses-own-entry.ts', '@app/tenants', 'libs/tenants/src/index.ts', true);
    edge('libs/tenants/src/uses-own-file.ts', './internal', 'libs/tenants/src/internal.ts', false);
    edge('libs/licensing/src/uses-tenants-by-path.ts', '../../tenants/src', 'libs/tenants/src/index.ts', true);
    edge('libs/licensing/src/uses-tenants-file.ts', '../../tenants/src/internal', 'libs/tenants/src/internal.ts', true);
    edge('test/e2e/by-path.e2e-spec.ts', '../../libs/security/src', 'libs/security/src/index.ts', true);
    edge('test/support/deep.ts', '../../libs/security/src/internal', 'libs/security/src/internal.ts', true);
    edge('scripts/deep.ts', '../libs/licensing/src/internal', 'libs/licensing/src/internal.ts', true);
    edge('bench/by-path.ts', '../libs/licensing/src', 'libs/licensing/src/index.ts', true);
    edge('libs/tenants/src/type-only.ts', '@app/agents', 'libs/agents/src/index.ts', true, "import type { marker } from '@app/agents';\nexport type Used = typeof marker;\n");
    edge('libs/security/src/dynamic.ts', '@app/tenants', 'libs/tenants/src/index.ts', true, "export const load = () => import('@app/tenants');\n");
    edge('libs/security/src/required.ts', '@app/licensing', 'libs/licensing/src/index.ts', true, "export const loaded: unknown = require('@app/licensing');\n");

    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(fixture, path)), { recursive: true });
      writeFileSync(join(fixture, path), text);
    }
  });

  afterAll(() => rmSync(fixture, { recursive: true, force: true }));

  it('refuses every import outside the allowed table, and only those, failing the command', () => {
    // The same command line as `npm run lint:deps`, with its default ("err") report.
    const run = spawnSync(
      process.execPath,
      [join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs'), 'apps', 'libs', 'test', 'scripts', 'bench', '--config', join(root, '.dependency-cruiser.js')],
      { cwd: fixture, encoding: 'utf8' },
    );
    const refused = new Set(
      [...run.stdout.matchAll(/^\s*error [\w-]+: (\S+) → (\S+)$/gm)].map(([, from, to]) => `${from} -> ${to}`),
    );

    expect([...expectedRefused].filter((edgeName) => !refused.has(edgeName))).toEqual([]);
    expect([...expectedAccepted].filter((edgeName) => refused.has(edgeName))).toEqual([]);
    expect(run.status).not.toBe(0);
  });
});

describe('agents takes only the agent-status port from forward-auth (eslint.config.mjs)', () => {
  /** Lints each source as a file of libs/agents with the repository's configured import rules; returns the messages. */
  function lintAsAgentsFile(sources: string[]): string[][] {
    const script = `
      import { ESLint, Linter } from 'eslint';
      import tseslint from 'typescript-eslint';
      const file = 'libs/agents/src/agent-status.service.ts';
      const config = await new ESLint({ cwd: process.cwd() }).calculateConfigForFile(file);
      const rules = { 'no-restricted-imports': config.rules['no-restricted-imports'], 'no-restricted-syntax': config.rules['no-restricted-syntax'] };
      const linter = new Linter({ configType: 'flat' });
      const sources = JSON.parse(process.argv[1]);
      const results = sources.map((text) =>
        linter.verify(text, [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser }, rules }], file).map((m) => m.ruleId + ': ' + m.message),
      );
      process.stdout.write(JSON.stringify(results));
    `;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(sources)], { cwd: root, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    return JSON.parse(run.stdout) as string[][];
  }

  it('accepts AGENT_STATUS and AgentStatus, refuses any other name, a namespace, a re-export and a dynamic import', () => {
    const [port, other, namespace, reexport, dynamic] = lintAsAgentsFile([
      "import { AGENT_STATUS, type AgentStatus } from '@app/forward-auth';\nexport const port: AgentStatus | symbol = AGENT_STATUS;\n",
      "import { ExpiringLru } from '@app/forward-auth';\nexport const cache = ExpiringLru;\n",
      "import * as forwardAuth from '@app/forward-auth';\nexport const all = forwardAuth;\n",
      "export { ExpiringLru } from '@app/forward-auth';\n",
      "export const load = () => import('@app/forward-auth');\n",
    ]);
    expect(port).toEqual([]);
    expect(other).toEqual([expect.stringMatching(/^no-restricted-imports: 'ExpiringLru'/)]);
    expect(namespace).toEqual([expect.stringMatching(/^no-restricted-imports: \* import is invalid/)]);
    expect(reexport).toEqual([expect.stringMatching(/^no-restricted-imports: 'ExpiringLru'/)]);
    expect(dynamic).toEqual([expect.stringMatching(/^no-restricted-syntax: /)]);
  });
});
