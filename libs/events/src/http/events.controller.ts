import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ClientAddress, Page, PageQuery } from '@app/service-core';
import { actorOf, Authorize, ChangedBy, CurrentPrincipal, Principal } from '@app/security';
import { DataPlaneTokens, MintedDataPlaneToken } from '../data-plane-tokens';
import { EventDelivery } from '../event-feed.entities';
import { EventOutbox, FeedPage } from '../event-outbox';
import { EventSubscriptionsService, SubscriptionView } from '../event-subscriptions.service';
import { EVENTS_ERRORS } from '../events.errors';
import {
  CreateEventSubscriptionDto,
  DataPlaneTokenDto,
  DeadLetterPage,
  EventFeedQuery,
  EventSubscriptionDto,
  EventSubscriptionPage,
  FeedPageDto,
  MintDataPlaneTokenDto,
  RedeliverResultDto,
} from './events.dto';

function changedBy(principal: Principal, sourceIp: string | undefined): ChangedBy {
  return { actor: actorOf(principal), sourceIp };
}

@ApiTags('events')
@Controller('events')
export class EventFeedController {
  constructor(
    private readonly outbox: EventOutbox,
    private readonly dataPlaneTokens: DataPlaneTokens,
  ) {}

  @Get()
  @Authorize({ platform: 'platform:read', machine: ['data-plane'] })
  @ApiOperation({
    summary: 'The event feed for the data plane, in commit order (operators, or a data-plane token)',
    description:
      'Tenant, license and agent changes, each written in the transaction of the change. Read from `after=0`, then pass each ' +
      "page's `next`: positions increase in commit order, so a reader never skips an event that commits later, and a cursor " +
      'stays valid across restarts (events are kept EVENTS_RETENTION_DAYS).',
  })
  @ApiOkResponse({ type: FeedPageDto })
  @ApiErrors(EVENTS_ERRORS, 'INVALID_CURSOR')
  read(@Query() query: EventFeedQuery): Promise<FeedPage> {
    return this.outbox.read(query.after, query.limit);
  }

  @Post('tokens')
  @Authorize({ platform: 'platform:write' })
  @HttpCode(201)
  @ApiOperation({
    summary: 'Mint a data-plane token that reads the event feed',
    description:
      'A machine token (typ data-plane+jwt, signed with the machine key) accepted by GET /api/events and nothing else. ' +
      'Shown once and never stored; it cannot be revoked before it expires, so keep ttlSeconds short and re-mint. Audited.',
  })
  @ApiCreatedResponse({ type: DataPlaneTokenDto })
  mintToken(@Body() body: MintDataPlaneTokenDto, @CurrentPrincipal() principal: Principal, @ClientAddress() sourceIp: string | undefined): Promise<MintedDataPlaneToken> {
    return this.dataPlaneTokens.mint(body.name, body.ttlSeconds, changedBy(principal, sourceIp));
  }
}

@ApiTags('events')
@Controller('event-subscriptions')
export class EventSubscriptionsController {
  constructor(private readonly subscriptions: EventSubscriptionsService) {}

  @Post()
  @Authorize({ platform: 'platform:write' })
  @HttpCode(201)
  @ApiOperation({
    summary: 'Subscribe a webhook to events (names or `<object>.*` prefixes)',
    description:
      'Each matching event from now on is POSTed to the URL, signed with the platform key (X-Cameleer-Signature; see ' +
      'docs/event-feed.md), at least once, in order per tenant, retried with exponential backoff capped at 60 s. The URL must ' +
      'be https on a public address (checked now and at each delivery); redirects are not followed.',
  })
  @ApiCreatedResponse({ type: EventSubscriptionDto })
  @ApiErrors(EVENTS_ERRORS, 'TARGET_NOT_ALLOWED')
  create(@Body() body: CreateEventSubscriptionDto, @CurrentPrincipal() principal: Principal, @ClientAddress() sourceIp: string | undefined): Promise<SubscriptionView> {
    return this.subscriptions.create(body.url, body.events, changedBy(principal, sourceIp));
  }

  @Get()
  @Authorize({ platform: 'platform:read' })
  @ApiOperation({ summary: 'List webhook subscriptions, with their pending and dead-letter counts' })
  @ApiOkResponse({ type: EventSubscriptionPage })
  list(@Query() query: PageQuery): Promise<Page<SubscriptionView>> {
    return this.subscriptions.list(query);
  }

  @Get(':id')
  @Authorize({ platform: 'platform:read' })
  @ApiOperation({ summary: 'One webhook subscription' })
  @ApiOkResponse({ type: EventSubscriptionDto })
  @ApiErrors(EVENTS_ERRORS, 'NOT_FOUND')
  get(@Param('id') id: string): Promise<SubscriptionView> {
    return this.subscriptions.get(id);
  }

  @Get(':id/dead-letters')
  @Authorize({ platform: 'platform:read' })
  @ApiOperation({ summary: "The subscription's dead letters: deliveries that failed every attempt" })
  @ApiOkResponse({ type: DeadLetterPage })
  @ApiErrors(EVENTS_ERRORS, 'NOT_FOUND')
  deadLetters(@Param('id') id: string, @Query() query: PageQuery): Promise<Page<EventDelivery>> {
    return this.subscriptions.deadLetters(id, query);
  }

  @Delete(':id')
  @Authorize({ platform: 'platform:write' })
  @HttpCode(204)
  @ApiOperation({ summary: 'End a webhook subscription (what is still owed to it is dropped)' })
  @ApiNoContentResponse()
  @ApiErrors(EVENTS_ERRORS, 'NOT_FOUND')
  async delete(@Param('id') id: string, @CurrentPrincipal() principal: Principal, @ClientAddress() sourceIp: string | undefined): Promise<void> {
    await this.subscriptions.delete(id, changedBy(principal, sourceIp));
  }

  @Post(':id/redeliver')
  @Authorize({ platform: 'platform:write' })
  @HttpCode(200)
  @ApiOperation({ summary: "Queue the subscription's dead letters again (same event ids; receivers deduplicate on them)" })
  @ApiOkResponse({ type: RedeliverResultDto })
  @ApiErrors(EVENTS_ERRORS, 'NOT_FOUND')
  async redeliver(@Param('id') id: string, @CurrentPrincipal() principal: Principal, @ClientAddress() sourceIp: string | undefined): Promise<RedeliverResultDto> {
    return { redelivered: await this.subscriptions.redeliver(id, changedBy(principal, sourceIp)) };
  }
}
