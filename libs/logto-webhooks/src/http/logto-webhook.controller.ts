import { Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiErrors, parseStrictJson, Public, RawJsonBody } from '@app/service-core';
import { HANDLED_LOGTO_EVENTS } from '../logto-events';
import { LogtoWebhookHandlers, WebhookOutcome } from '../logto-webhook-handlers';
import { LogtoWebhookRateLimited } from '../logto-webhook-rate-limit';
import { LogtoWebhooksConfig, logtoWebhooksConfig } from '../logto-webhooks.config';
import { LOGTO_WEBHOOKS_ERRORS, LogtoWebhooksError } from '../logto-webhooks.errors';
import { asHookPayload } from '../logto-hook-payload';
import { LOGTO_SIGNATURE_HEADER, verifyLogtoSignature } from '../webhook-signature';

/**
 * Logto's webhook. Public: the HMAC of the body under the hook's signing key is its authentication. Checked in this
 * order, each refusal changing nothing: configured (404), size (413, before any HMAC work), signature (401), payload
 * (400); then the event's handler.
 */
@ApiTags('webhooks')
@Controller('webhooks')
@Public()
@LogtoWebhookRateLimited()
export class LogtoWebhookController {
  constructor(
    @Inject(logtoWebhooksConfig.KEY) private readonly config: LogtoWebhooksConfig,
    private readonly handlers: LogtoWebhookHandlers,
  ) {}

  @Post('logto')
  @HttpCode(204)
  @RawJsonBody()
  @ApiOperation({
    summary: 'Logto’s webhook (changes in Logto reach the platform within a second)',
    description:
      `Signed by Logto: \`${LOGTO_SIGNATURE_HEADER}\` is the hex HMAC-SHA256 of the raw body under the hook's signing key ` +
      '(LOGTO_WEBHOOK_SIGNING_KEY, or LOGTO_WEBHOOK_SIGNING_KEY_PREVIOUS during a rotation). ' +
      `Handled: ${HANDLED_LOGTO_EVENTS.join(', ')}; any other event is answered 204 and ignored. ` +
      'Idempotent: a repeated or replayed delivery changes nothing. Rate-limited per client address (LOGTO_WEBHOOK_RATE_LIMIT_*).',
  })
  @ApiHeader({ name: LOGTO_SIGNATURE_HEADER, required: true, description: 'Hex HMAC-SHA256 of the raw body under the hook’s signing key.' })
  @ApiBody({ description: 'Logto’s webhook payload (hookId, event, createdAt, params, data, …).', schema: { type: 'object', required: ['event'], properties: { event: { type: 'string' } } } })
  @ApiNoContentResponse({ description: 'Handled, or an event this receiver ignores.' })
  @ApiErrors(LOGTO_WEBHOOKS_ERRORS, 'INVALID_PAYLOAD', 'INVALID_SIGNATURE', 'WEBHOOK_NOT_CONFIGURED', 'PAYLOAD_TOO_LARGE', 'LOGTO_UNAVAILABLE')
  async receive(@Req() request: FastifyRequest): Promise<void> {
    const outcome = await this.handle(request).catch((error: unknown) => {
      this.handlers.count(error instanceof LogtoWebhooksError ? refusalOutcome(error) : 'failed');
      throw error;
    });
    this.handlers.count(outcome);
  }

  private async handle(request: FastifyRequest): Promise<WebhookOutcome> {
    if (this.config.signingKeys.length === 0) {
      throw new LogtoWebhooksError('WEBHOOK_NOT_CONFIGURED', 'This installation receives no Logto webhook (LOGTO_WEBHOOK_SIGNING_KEY is not set).');
    }
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    if (body.length > this.config.maxBodyBytes) {
      throw new LogtoWebhooksError('PAYLOAD_TOO_LARGE', `The body is larger than ${this.config.maxBodyBytes} bytes.`);
    }
    if (!verifyLogtoSignature(this.config.signingKeys, body, request.headers[LOGTO_SIGNATURE_HEADER])) {
      throw new LogtoWebhooksError('INVALID_SIGNATURE', `${LOGTO_SIGNATURE_HEADER} is missing or is not the body's signature under the hook's signing key.`);
    }
    let parsed: unknown;
    try {
      parsed = parseStrictJson(request, body);
    } catch (error) {
      throw new LogtoWebhooksError('INVALID_PAYLOAD', `The body is not JSON this API accepts: ${error instanceof Error ? error.message : String(error)}`);
    }
    return this.handlers.dispatch(asHookPayload(parsed));
  }
}

function refusalOutcome(error: LogtoWebhooksError): WebhookOutcome {
  switch (error.code) {
    case 'WEBHOOK_NOT_CONFIGURED':
      return 'not_configured';
    case 'PAYLOAD_TOO_LARGE':
      return 'too_large';
    case 'INVALID_SIGNATURE':
      return 'invalid_signature';
    case 'INVALID_PAYLOAD':
      return 'invalid_payload';
    case 'LOGTO_UNAVAILABLE':
      return 'failed';
  }
}
