/**
 * `npm run test:logto`: the Logto conformance suite against a real Logto (test/conformance/*.logto-spec.ts), the
 * e2e project's setup (a migrated template database) with its own file pattern, so `npm test` never selects it.
 */
const { projects } = require('./jest.config');

const e2e = projects.find((project) => project.displayName === 'e2e');

module.exports = {
  testTimeout: 60000,
  projects: [{ ...e2e, displayName: 'logto', testRegex: '\\.logto-spec\\.ts$' }],
};
