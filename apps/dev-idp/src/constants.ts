/** Logto's fixed Management API audience on OSS (packages/schemas seeds), whatever the host name. */
export const MANAGEMENT_API_RESOURCE = 'https://default.logto.app/api';
export const MANAGEMENT_API_SCOPE = 'all';

/** Organization tokens carry `aud = urn:logto:organization:<orgId>` (core-kit `buildOrganizationUrn`). */
export const ORGANIZATION_URN_PREFIX = 'urn:logto:organization:';

export const DEFAULT_API_RESOURCE = 'https://api.cameleer.local';

/** Logto's default access-token TTL for API resources and organization tokens. */
export const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 3600;

/** The first-party app that user tokens are minted for; Logto user tokens always name the app that obtained them. */
export const DEFAULT_USER_CLIENT_ID = 'dev-idp-user-app';

export const buildOrganizationUrn = (organizationId: string): string => `${ORGANIZATION_URN_PREFIX}${organizationId}`;
