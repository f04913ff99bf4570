// The receiver of Logto's webhook (issue 16, "Changes in Logto reach us within a second"): POST /api/webhooks/logto,
// signed by Logto with the hook's signing key; membership removals, deleted and suspended users, organizations
// deleted or changed out of band.
export { HANDLED_LOGTO_EVENTS, type HandledLogtoEvent } from './logto-events';
export { LogtoWebhookRateLimit } from './logto-webhook-rate-limit';
export { type LogtoWebhooksConfig, logtoWebhooksConfig, logtoWebhooksConfigSchema } from './logto-webhooks.config';
export { LOGTO_WEBHOOKS_ERRORS } from './logto-webhooks.errors';
export { LogtoWebhooksModule } from './logto-webhooks.module';
export { LOGTO_SIGNATURE_HEADER, logtoSignature } from './webhook-signature';
