import { Body, Controller, Get, Header, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ClientAddress, Idempotent, Page, PageOf, PageQuery } from '@app/service-core';
import { actorOf, actorShownTo, Authorize, CurrentPrincipal, Principal } from '@app/security';
import { TENANTS_ERRORS } from '@app/tenants';
import { LICENSING_ERRORS } from '../licensing-errors';
import { LicensingService } from '../licensing.service';
import { LicenseTokenRestorer } from './license-token.restorer';
import { IssueLicenseRequest, LicenseDto, LicenseWithTokenDto, RevokeLicenseRequest } from './license.dto';

class LicensePage extends PageOf(LicenseDto) {}

// Licensing's own answers and the tenants lib's (the tenant is looked up and locked there).
const ERRORS = { ...LICENSING_ERRORS, ...TENANTS_ERRORS };

/** A license as `reader` may see it: the operator who issued or revoked it is shown to customers as the platform. */
function shownTo<T extends LicenseDto>(license: T, reader: Principal): T {
  return { ...license, issuedBy: actorShownTo(license.issuedBy, reader), revokedBy: license.revokedBy === null ? null : actorShownTo(license.revokedBy, reader) };
}

@ApiTags('licenses')
@Controller('tenants')
export class LicensingController {
  constructor(private readonly licensing: LicensingService) {}

  @Post(':id/license')
  @Authorize({ platform: 'platform:write' })
  @HttpCode(201)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: "Issue a license to a tenant (supersedes its current one)",
    description:
      'tier: from the tier catalog. features (optional) replace the tier defaults; limits (optional) are merged over them. ' +
      'validDays or endsAt (at most one; neither = the tier default), at most 5 years. The previous CURRENT license becomes ' +
      'SUPERSEDED in the same transaction. The response carries a signed token (docs/license-format.md). A replay with the ' +
      'same Idempotency-Key returns the same license record with a token signed anew (same jti and claims, new iat/exp), ' +
      'while that license is still the usable one (else 409 LICENSE_NO_LONGER_USABLE): tokens are never stored.',
  })
  @ApiCreatedResponse({ type: LicenseWithTokenDto })
  @ApiErrors(ERRORS, 'VALIDATION_FAILED', 'NOT_FOUND', 'TENANT_NOT_ACTIVE', 'LICENSE_NO_LONGER_USABLE')
  @Idempotent({ fields: ['token'], restoredBy: LicenseTokenRestorer })
  issue(
    @Param('id') id: string,
    @Body() body: IssueLicenseRequest,
    @CurrentPrincipal() principal: Principal,
    @ClientAddress() sourceIp: string | undefined,
  ): Promise<LicenseWithTokenDto> {
    const terms = {
      tier: body.tier,
      features: body.features,
      limits: body.limits,
      validDays: body.validDays,
      endsAt: body.endsAt === undefined ? undefined : new Date(body.endsAt),
      graceDays: body.graceDays,
    };
    return this.licensing.issue(id, terms, { actor: actorOf(principal), sourceIp }) as Promise<LicenseWithTokenDto>;
  }

  @Get(':id/license')
  @Authorize({ platform: 'platform:read', tenant: 'tenant:read' })
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'The current license with a freshly signed token',
    description:
      'The usable license: CURRENT, not revoked, and before its end plus grace (status EXPIRED inside the grace). Same jti ' +
      '(the license id), new iat/exp: call it to refresh a token before its exp (LICENSE_TOKEN_TTL). A tenant that is not ' +
      'ACTIVE gets no fresh token (409 TENANT_NOT_ACTIVE, for operators too); its records stay readable in the history.',
  })
  @ApiOkResponse({ type: LicenseWithTokenDto })
  @ApiErrors(ERRORS, 'NOT_FOUND', 'NO_CURRENT_LICENSE', 'TENANT_NOT_ACTIVE')
  async current(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<LicenseWithTokenDto> {
    return shownTo((await this.licensing.current(id)) as LicenseWithTokenDto, principal);
  }

  @Get(':id/licenses')
  @Authorize({ platform: 'platform:read', tenant: 'tenant:read' })
  @ApiOperation({ summary: "A tenant's licenses, newest first (without tokens)" })
  @ApiOkResponse({ type: LicensePage })
  @ApiErrors(ERRORS, 'NOT_FOUND')
  async history(@Param('id') id: string, @Query() query: PageQuery, @CurrentPrincipal() principal: Principal): Promise<Page<LicenseDto>> {
    const page = (await this.licensing.history(id, query)) as Page<LicenseDto>;
    return { ...page, items: page.items.map((license) => shownTo(license, principal)) };
  }

  @Post(':id/license/revoke')
  @Authorize({ platform: 'platform:write' })
  @HttpCode(200)
  @ApiOperation({
    summary: 'Revoke the current license',
    description: 'The license becomes REVOKED (who, when, why); the tenant then has no current license until one is issued. Tokens already handed out stay valid until their exp.',
  })
  @ApiOkResponse({ type: LicenseDto })
  @ApiErrors(ERRORS, 'NOT_FOUND', 'NO_CURRENT_LICENSE')
  revoke(
    @Param('id') id: string,
    @Body() body: RevokeLicenseRequest,
    @CurrentPrincipal() principal: Principal,
    @ClientAddress() sourceIp: string | undefined,
  ): Promise<LicenseDto> {
    return this.licensing.revoke(id, body.reason, { actor: actorOf(principal), sourceIp }) as Promise<LicenseDto>;
  }
}
