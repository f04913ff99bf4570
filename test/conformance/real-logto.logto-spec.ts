import { connectRealLogto, realLogtoFromEnv } from '../support/logto-under-test';
import { describeLogtoConformance } from './logto-conformance';

// npm run test:logto: the conformance suite against a real Logto (see /README.md "Logto conformance"). Without one
// configured it says why and skips; it is not part of `npm test`, so CI's rule that a skip fails does not apply.
const target = realLogtoFromEnv();

if ('missing' in target) {
  process.stdout.write(
    `skipped: the Logto conformance suite needs a real Logto; set ${target.missing.join(', ')} ` +
      '(an M2M app holding the "Logto Management API access" role)\n',
  );
  describe('Logto conformance: a real Logto', () => {
    it.skip(`needs ${target.missing.join(', ')}`, () => undefined);
  });
} else {
  describe(`Logto conformance: Logto at ${target.endpoint}`, () => {
    describeLogtoConformance(() => Promise.resolve(connectRealLogto(target.endpoint, target.admin)));
  });
}
