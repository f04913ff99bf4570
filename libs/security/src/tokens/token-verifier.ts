import { Injectable, Logger } from '@nestjs/common';
import type { AccessDenial, AccessRequirement, TokenKind } from '../access/evaluate-access';
import { Principal } from '../access/principal';
import { securityErrorFor } from '../access/security-errors';
import { LOGTO_ACCESS_TOKEN_TYP, LogtoTokenVerifier } from '../logto/logto-token-verifier';
import { machineTokenKindOfTyp, MachineTokenService } from '../machine';
import { peekJwtHeader, readBearerToken } from './bearer-token';
import { TokenRejected } from './token-rejected';

/** Which bearer tokens a caller accepts: the token half of an AccessRequirement. */
export type AcceptedTokens = Pick<AccessRequirement, 'logto' | 'machine'>;

/**
 * The one bearer-token verifier of the guard and forward-auth. A token is routed to exactly one
 * verifier by its header `typ` (`at+jwt`: Logto; a machine `typ`: the machine verifier), and only
 * if the caller accepts that kind: a machine token never reaches the Logto verifier, a Logto token
 * never the machine one, and neither is verified where it would not be accepted.
 */
@Injectable()
export class TokenVerifier {
  private readonly logger = new Logger(TokenVerifier.name);

  constructor(
    private readonly logto: LogtoTokenVerifier,
    private readonly machine: MachineTokenService,
  ) {}

  /** The token of exactly `Bearer <token>` in one Authorization header; a SecurityError (401) otherwise. */
  bearerOf(authorization: string | string[] | undefined): string {
    const bearer = readBearerToken(authorization);
    if (bearer.kind === 'token') {
      return bearer.token;
    }
    throw securityErrorFor({ allow: false, reason: bearer.kind === 'none' ? 'no_token' : 'malformed_header' });
  }

  /**
   * The verified caller; every refusal is a SecurityError (401). A token that does not verify gets one answer;
   * a genuine one that expired or is for another audience, or a kind the call does not take, gets its own.
   */
  async verify(token: string, accepted: AcceptedTokens): Promise<Principal> {
    const typ = peekJwtHeader(token)?.typ;
    const sent: TokenKind | undefined = typ === LOGTO_ACCESS_TOKEN_TYP ? 'logto' : machineTokenKindOfTyp(typeof typ === 'string' ? typ : undefined);
    if (sent === undefined || !(sent === 'logto' ? accepted.logto !== undefined : accepted.machine?.includes(sent) === true)) {
      throw securityErrorFor({ allow: false, reason: 'token_not_accepted', sent, accepted: acceptedKinds(accepted) });
    }
    try {
      if (sent === 'logto') {
        return await this.logto.verify(token);
      }
      const { subject, tenantId, tokenId, expiresAt } = await this.machine.verify(sent, token);
      return { scheme: 'machine', kind: sent, subject, tenantId, tokenId, expiresAt };
    } catch (error) {
      if (error instanceof TokenRejected) {
        this.logger.debug(error.message);
        throw securityErrorFor(this.denialOf(error, sent));
      }
      throw error;
    }
  }

  private denialOf(rejection: TokenRejected, kind: TokenKind): AccessDenial {
    switch (rejection.reason) {
      case 'expired':
        return { allow: false, reason: 'token_expired', kind };
      case 'organization_token':
      case 'wrong_audience': {
        const audience = kind === 'logto' ? this.logto.audience : this.machine.audienceOf(kind);
        return audience === undefined ? INVALID_TOKEN : { allow: false, reason: rejection.reason, audience };
      }
      default:
        return INVALID_TOKEN;
    }
  }
}

const INVALID_TOKEN: AccessDenial = Object.freeze({ allow: false, reason: 'invalid_token' });

/** The kinds a caller accepts, Logto first: for telling a caller what it should have sent. */
function acceptedKinds(accepted: AcceptedTokens): readonly TokenKind[] {
  return accepted.logto === undefined ? (accepted.machine ?? []) : ['logto', ...(accepted.machine ?? [])];
}
