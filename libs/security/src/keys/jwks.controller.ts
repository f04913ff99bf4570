import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '@app/service-core';
import { Ed25519PublicJwk } from './ed25519-public-jwk';
import { Keyring } from './keyring';
import { LICENSE_KEYRING, PLATFORM_KEYRING } from './keyring.tokens';

const EXAMPLE_JWKS = { keys: [{ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', kid: 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k', use: 'sig', alg: 'EdDSA' }] };

/**
 * The verification keys of the purposes that verifiers outside this service need, each set on its own URL so a
 * verifier trusts one purpose only. Machine-token and session keys are never published.
 */
@ApiTags('keys')
@Public()
@Controller('.well-known')
export class JwksController {
  constructor(
    @Inject(LICENSE_KEYRING) private readonly licenseKeyring: Keyring,
    @Inject(PLATFORM_KEYRING) private readonly platformKeyring: Keyring,
  ) {}

  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'License verification keys (JWKS)', description: 'Ed25519 public keys (EdDSA) that verify license tokens, the current one first.' })
  @ApiOkResponse({ schema: { example: EXAMPLE_JWKS } })
  jwks(): { keys: Ed25519PublicJwk[] } {
    return { keys: this.licenseKeyring.publicJwks() };
  }

  @Get('platform-jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({
    summary: 'Platform verification keys (JWKS)',
    description:
      'Ed25519 public keys (EdDSA) that verify what the platform vouches to its own services, such as the X-Cameleer-Identity ' +
      'assertion forward-auth adds to allowed requests; the current one first, older ones until they are removed.',
  })
  @ApiOkResponse({ schema: { example: EXAMPLE_JWKS } })
  platformJwks(): { keys: Ed25519PublicJwk[] } {
    return { keys: this.platformKeyring.publicJwks() };
  }
}
