import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '@app/service-core';
import { Ed25519PublicJwk } from './ed25519-public-jwk';
import { Keyring } from './keyring';
import { LICENSE_KEYRING } from './keyring.tokens';

/** The license verification keys, for verifiers outside this service. Machine-token keys are never published. */
@ApiTags('keys')
@Public()
@Controller('.well-known')
export class JwksController {
  constructor(@Inject(LICENSE_KEYRING) private readonly licenseKeyring: Keyring) {}

  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'License verification keys (JWKS)', description: 'Ed25519 public keys (EdDSA) that verify license tokens, the current one first.' })
  @ApiOkResponse({
    schema: { example: { keys: [{ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', kid: 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k', use: 'sig', alg: 'EdDSA' }] } },
  })
  jwks(): { keys: Ed25519PublicJwk[] } {
    return { keys: this.licenseKeyring.publicJwks() };
  }
}
