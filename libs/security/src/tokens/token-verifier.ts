import { Injectable, Logger } from '@nestjs/common';
import { Metrics } from '@app/service-core';
import type { AccessDenial, AccessRequirement, TokenKind } from '../access/evaluate-access';
import { Principal } from '../access/principal';
import { securityErrorFor } from '../access/security-errors';
import { LOGTO_ACCESS_TOKEN_TYP, LogtoTokenVerifier } from '../logto/logto-token-verifier';
import { machineTokenKindOfTyp, MachineTokenService } from '../machine';
import { PrincipalRevocations } from '../revocations/principal-revocations';
import { peekJwtHeader, readBearerToken } from './bearer-token';
import { TokenRejected } from './token-rejected';

type VerifiedKind = TokenKind | 'unknown';
type VerificationResult = 'valid' | 'invalid' | 'not_accepted';

/** The series of cameleer_token_verifications_total, one per kind and result, named so that counting allocates nothing. */
const SERIES = {
  logto: { valid: 'logto_valid', invalid: 'logto_invalid', not_accepted: 'logto_not_accepted' },
  agent: { valid: 'agent_valid', invalid: 'agent_invalid', not_accepted: 'agent_not_accepted' },
  'agent-bootstrap': { valid: 'agent_bootstrap_valid', invalid: 'agent_bootstrap_invalid', not_accepted: 'agent_bootstrap_not_accepted' },
  'data-plane': { valid: 'data_plane_valid', invalid: 'data_plane_invalid', not_accepted: 'data_plane_not_accepted' },
  unknown: { valid: 'unknown_valid', invalid: 'unknown_invalid', not_accepted: 'unknown_not_accepted' },
} as const satisfies Record<VerifiedKind, Record<VerificationResult, string>>;

type Series = (typeof SERIES)[VerifiedKind][VerificationResult];

function verificationSeries(): Record<Series, { kind: string; result: string }> {
  const series = {} as Record<Series, { kind: string; result: string }>;
  for (const [kind, results] of Object.entries(SERIES)) {
    for (const [result, name] of Object.entries(results)) {
      series[name] = { kind, result };
    }
  }
  return series;
}

/** Which bearer tokens a caller accepts: the token half of an AccessRequirement. */
export type AcceptedTokens = Pick<AccessRequirement, 'logto' | 'machine'>;

/**
 * The one bearer-token verifier of the guard and forward-auth. A token is routed to exactly one
 * verifier by its header `typ` (`at+jwt`: Logto; a machine `typ`: the machine verifier), and only
 * if the caller accepts that kind: a machine token never reaches the Logto verifier, a Logto token
 * never the machine one, and neither is verified where it would not be accepted. A Logto user token that verifies
 * is then refused if its user was revoked (PrincipalRevocations: a member removed, a user deleted or suspended).
 */
@Injectable()
export class TokenVerifier {
  private readonly logger = new Logger(TokenVerifier.name);

  private readonly verifications: Record<Series, number>;

  constructor(
    private readonly logto: LogtoTokenVerifier,
    private readonly machine: MachineTokenService,
    metrics: Metrics,
    private readonly revocations: PrincipalRevocations,
  ) {
    this.verifications = metrics.tally(
      'cameleer_token_verifications_total',
      'Bearer token verifications by kind (logto, agent, agent-bootstrap, data-plane, unknown typ) and result (valid, invalid, not_accepted where it was sent).',
      verificationSeries(),
    );
  }

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
    const series = SERIES[sent ?? 'unknown'];
    if (sent === undefined || !(sent === 'logto' ? accepted.logto !== undefined : accepted.machine?.includes(sent) === true)) {
      this.verifications[series.not_accepted]++;
      throw securityErrorFor({ allow: false, reason: 'token_not_accepted', sent, accepted: acceptedKinds(accepted) });
    }
    try {
      let principal: Principal;
      if (sent === 'logto') {
        principal = await this.logto.verify(token);
        // After the signature: only a genuine token is looked up, and its refusal is the same 401 as any invalid token.
        if (this.revocations.refuses(principal)) {
          throw new TokenRejected('revoked');
        }
      } else {
        const { subject, tenantId, tokenId, expiresAt } = await this.machine.verify(sent, token);
        principal = { scheme: 'machine', kind: sent, subject, tenantId, tokenId, expiresAt };
      }
      this.verifications[series.valid]++;
      return principal;
    } catch (error) {
      if (error instanceof TokenRejected) {
        this.verifications[series.invalid]++;
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
