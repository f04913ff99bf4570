// Tenant licenses: the tier catalog, issuing/reading/revoking licenses, Ed25519 license tokens (license+jwt)
// and the offline LicenseVerifier that other services (and `npm run license:verify`) use.
export * from './tiers/tier-catalog';
export * from './licensing.config';
export * from './license-status';
export * from './license-token';
export * from './license-verifier';
export * from './license.entity';
export { LicenseRow, licenseFromRow } from './license-row';
export * from './license-events';
export * from './licensing-errors';
export * from './licensing.service';
export { IssueLicenseRequest, RevokeLicenseRequest, LicenseLimitsInput, LicenseWithTokenDto, LicenseDto, LicenseLimitsView } from './http/license.dto';
export { LicensingController } from './http/licensing.controller';
export * from './licensing.module';
