// Tenant licenses, owner of the `licenses` table: the usable-license rule, Ed25519 license tokens (license+jwt)
// and the offline LicenseVerifier that other services (and `npm run license:verify`) use.
export { License } from './license.entity';
export type { LicenseStatus } from './license-status';
export { LicenseEvents, type LicenseEvent } from './license-events';
export { LICENSING_ERRORS, LicensingError, type LicensingErrorCode } from './licensing-errors';
export { LicensingService, type UsableLicense } from './licensing.service';
export { LicensingModule } from './licensing.module';
export { DEFAULT_LICENSE_AUDIENCE, DEFAULT_LICENSE_ISSUER, licensingConfigSchema } from './licensing.config';
export { LicenseVerificationError, LicenseVerifier, type VerifiedLicense } from './license-verifier';
export { licenseClaims, signLicenseClaims } from './license-token';
