// The dependency direction between the libs and apps, checked by `npm run lint` on every resolved import
// (static, dynamic, require, type-only). Which symbols agents may take from forward-auth is a finer rule than
// a file graph can express: eslint.config.mjs refuses the others (no-restricted-imports, allowImportNames).
'use strict';

/** Each lib and the libs it may import; everything else is refused. */
const allowedLibImports = {
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
  'logto-webhooks': ['tenants', 'events', 'security', 'logto-client', 'service-core'],
  members: ['tenants', 'events', 'security', 'logto-client', 'service-core'],
};

const libs = Object.keys(allowedLibImports);
const anyOf = (names) => names.map((name) => name.replace(/[-]/g, '\\-')).join('|');
const specFile = '\\.(spec|int-spec|e2e-spec)\\.ts$';

const libDirectionRules = libs.map((lib) => ({
  name: `lib-direction-${lib}`,
  comment: `libs/${lib} may import ${allowedLibImports[lib].join(', ') || 'no other lib'}`,
  severity: 'error',
  from: { path: `^libs/${lib}/` },
  to: { path: `^libs/(?!(${anyOf([lib, ...allowedLibImports[lib]])})/)` },
}));

module.exports = {
  forbidden: [
    ...libDirectionRules,
    {
      name: 'lib-through-entry',
      comment: 'Outside its own folder a lib is imported only as @app/<lib> (its src/index.ts), never by path.',
      severity: 'error',
      from: { path: '^(libs/([^/]+)|apps|test|scripts|bench)/' },
      to: { path: '^libs/([^/]+)/', pathNot: ['^libs/$2/'], dependencyTypesNot: ['aliased-tsconfig-paths'] },
    },
    {
      name: 'lib-not-through-own-entry',
      comment: 'Within a lib, files import each other relatively, not through the lib’s own @app/<lib> entry.',
      severity: 'error',
      from: { path: '^libs/([^/]+)/' },
      to: { path: '^libs/$1/', dependencyTypes: ['aliased-tsconfig-paths'] },
    },
    {
      name: 'libs-not-to-apps-or-tooling',
      comment: 'Libs never import apps, scripts or bench; only their specs may use the shared test support.',
      severity: 'error',
      from: { path: '^libs/', pathNot: specFile },
      to: { path: '^(apps|scripts|bench|test)/' },
    },
    {
      name: 'lib-specs-only-to-test-support',
      comment: 'A lib spec may use test/support, nothing else outside libs.',
      severity: 'error',
      from: { path: `^libs/.*${specFile}` },
      to: { path: '^(apps|scripts|bench|test)/', pathNot: '^test/support/' },
    },
    {
      name: 'dev-idp-no-lib',
      comment: 'The dev identity provider stands alone: it imports no lib but the command-line helper (node built-ins only) and no other app.',
      severity: 'error',
      from: { path: '^apps/dev-idp/' },
      to: { path: '^(libs/(?!cli/)|apps/(?!dev-idp/))' },
    },
    {
      name: 'api-not-to-other-apps',
      comment: 'The API app imports libs, never another app, the tests, scripts or bench.',
      severity: 'error',
      from: { path: '^apps/api/' },
      to: { path: '^(apps/(?!api/)|test|scripts|bench)/' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves (a deep @app/<lib>/… path does not).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|coverage|\\.data)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['require', 'node', 'default'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
