/**
 * Three tiers, one Jest project each (`npm test` runs them all; `npm run test:unit|test:int|test:e2e` one):
 * unit specs (`*.spec.ts`) run on their own, without a database; integration specs (`*.int-spec.ts`) and e2e
 * specs over HTTP (`*.e2e-spec.ts`) get a migrated template database from globalSetup.
 */
const { pathsToModuleNameMapper } = require('./test/support/paths');

const shared = {
  rootDir: __dirname,
  testEnvironment: 'node',
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  moduleNameMapper: pathsToModuleNameMapper(),
};

const withDatabase = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};

module.exports = {
  testTimeout: 60000,
  projects: [
    { ...shared, displayName: 'unit', testRegex: '\\.spec\\.ts$' },
    { ...shared, ...withDatabase, displayName: 'int', testRegex: '\\.int-spec\\.ts$' },
    { ...shared, ...withDatabase, displayName: 'e2e', testRegex: '\\.e2e-spec\\.ts$' },
  ],
};
