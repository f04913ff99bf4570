import { Injectable, Logger } from '@nestjs/common';
import type { AccessRequirement } from '../access/evaluate-access';
import { Principal } from '../access/principal';
import { securityErrorFor, SecurityError } from '../access/security-errors';
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

  /** The verified caller; every refusal is a SecurityError (401 invalid_token). */
  async verify(token: string, accepted: AcceptedTokens): Promise<Principal> {
    const typ = peekJwtHeader(token)?.typ;
    try {
      if (typ === LOGTO_ACCESS_TOKEN_TYP) {
        if (accepted.logto === undefined) {
          throw notAccepted();
        }
        return await this.logto.verify(token);
      }
      const kind = machineTokenKindOfTyp(typeof typ === 'string' ? typ : undefined);
      if (kind === undefined || accepted.machine?.includes(kind) !== true) {
        throw notAccepted();
      }
      const { subject, tenantId, tokenId, expiresAt } = await this.machine.verify(kind, token);
      return { scheme: 'machine', kind, subject, tenantId, tokenId, expiresAt };
    } catch (error) {
      if (error instanceof TokenRejected) {
        this.logger.debug(error.message);
        throw securityErrorFor({ allow: false, reason: 'invalid_token' });
      }
      throw error;
    }
  }
}

function notAccepted(): SecurityError {
  return securityErrorFor({ allow: false, reason: 'token_not_accepted' });
}
