import { describeLogtoConformance } from '../conformance/logto-conformance';
import { startDevIdpUnderTest } from '../support/logto-under-test';

// The conformance suite that `npm run test:logto` runs against a real Logto, here against the dev IdP: the two
// answer the same assertions, so the dev IdP cannot drift from Logto where the tests stand on it.
describe('Logto conformance: the dev IdP', () => {
  describeLogtoConformance(startDevIdpUnderTest);
});
