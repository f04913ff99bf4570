import { Inject, Injectable } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';
import { queryEntities } from '@app/service-core';
import { SessionSealer } from '@app/security';
import { EdgeSignInAttempt } from './edge-session.entities';
import { EdgeSessionsConfig, edgeSessionsConfig } from './edge-sessions.config';
import { EdgeSessionError } from './edge-sessions.errors';
import { cookieHashOf, EdgeSessions } from './edge-sessions.service';
import { LogtoEdgeClient, randomToken } from './logto-edge-client';
import { redirectTarget } from './redirect-target';

/** A sign-in must come back within this time (the issue: at most ten minutes). */
export const SIGN_IN_TTL_MS = 10 * 60_000;
const LOGIN_COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;
const STATE_MAX = 512;

export interface StartedSignIn {
  /** The login cookie's value: binds the callback to this browser. */
  readonly loginCookie: string;
  readonly authorizationUrl: string;
}

export interface CompletedSignIn {
  readonly sessionCookie: string;
  readonly sessionExpiresAt: Date;
  readonly redirectTo: string;
}

export interface CallbackQuery {
  readonly code?: string;
  readonly state?: string;
  readonly error?: string;
}

/**
 * The sign-in at the edge (authorization code + PKCE with Logto): start() checks where to return, keeps state,
 * nonce and the PKCE verifier server-side under the hash of a fresh login cookie; complete() uses that attempt once
 * (deleted as it is read, valid ten minutes), checks the state, trades the code and opens a session.
 */
@Injectable()
export class SignInService {
  constructor(
    @Inject(edgeSessionsConfig.KEY) private readonly config: EdgeSessionsConfig,
    private readonly dataSource: DataSource,
    private readonly sealer: SessionSealer,
    private readonly logto: LogtoEdgeClient,
    private readonly sessions: EdgeSessions,
  ) {}

  /** The validated return URL, or INVALID_REDIRECT (also when sign-in is not configured: nothing is under no domain). */
  redirectTarget(rd: unknown): string {
    this.assertEnabled();
    return redirectTarget(rd, { baseDomain: this.config.cookieDomain ?? '', platformHost: this.config.platformHost, allowHttp: !this.config.cookieSecure });
  }

  async start(rd: unknown): Promise<StartedSignIn> {
    const redirectTo = this.redirectTarget(rd);
    const loginCookie = randomToken();
    const loginHash = cookieHashOf(loginCookie);
    const codeVerifier = randomToken();
    const state = randomToken();
    const nonce = randomToken();
    const authorizationUrl = await this.logto.authorizationUrl({ state, nonce, codeVerifier });
    await this.dataSource.getRepository(EdgeSignInAttempt).insert({
      loginHash,
      state,
      nonce,
      codeVerifierSealed: this.sealer.seal(codeVerifier, loginHash),
      redirectTo,
      expiresAt: new Date(Date.now() + SIGN_IN_TTL_MS),
    });
    return { loginCookie, authorizationUrl };
  }

  async complete(loginCookie: string | undefined, query: CallbackQuery, client: { userAgent?: string; sourceIp?: string }): Promise<CompletedSignIn> {
    this.assertEnabled();
    if (loginCookie === undefined || !LOGIN_COOKIE_VALUE.test(loginCookie)) {
      throw new EdgeSessionError('SIGN_IN_NOT_STARTED', 'This sign-in was not started in this browser (or has already completed): open the address you wanted again.');
    }
    const loginHash = cookieHashOf(loginCookie);
    // Deleted as it is read: a second callback with the same login cookie finds nothing.
    const [attempt] = await queryEntities(this.dataSource, EdgeSignInAttempt, 'DELETE FROM edge_sign_in_attempts WHERE login_hash = $1 RETURNING *', [loginHash]);
    if (attempt === undefined || attempt.expiresAt.getTime() <= Date.now() || !sameText(query.state, attempt.state)) {
      throw new EdgeSessionError('SIGN_IN_INVALID', 'This sign-in is unknown, expired or already used: open the address you wanted again.');
    }
    if (query.error !== undefined) {
      throw new EdgeSessionError('SIGN_IN_REFUSED', query.error === 'access_denied' ? 'The sign-in was cancelled or refused.' : 'Logto ended the sign-in with an error.');
    }
    if (query.code === undefined || query.code.length === 0) {
      throw new EdgeSessionError('SIGN_IN_INVALID', 'The callback carries no authorization code: open the address you wanted again.');
    }
    let codeVerifier: string;
    try {
      codeVerifier = this.sealer.open(attempt.codeVerifierSealed, loginHash);
    } catch {
      throw new EdgeSessionError('SIGN_IN_INVALID', 'This sign-in cannot be completed: open the address you wanted again.');
    }
    const tokens = await this.logto.exchangeCode({ code: query.code, codeVerifier, nonce: attempt.nonce });
    const session = await this.sessions.create({ ...tokens, ...client });
    return { sessionCookie: session.cookieValue, sessionExpiresAt: session.expiresAt, redirectTo: attempt.redirectTo };
  }

  async endSessionUrl(idToken: string | undefined): Promise<string> {
    return this.logto.endSessionUrl(idToken);
  }

  private assertEnabled(): void {
    if (!this.config.enabled) {
      throw new EdgeSessionError('SIGN_IN_DISABLED', 'Browser sign-in is not configured here (LOGTO_EDGE_APP_ID, TENANT_BASE_DOMAIN).');
    }
  }
}

/** Constant-time comparison of a caller's text with the stored one. */
function sameText(given: string | undefined, expected: string): boolean {
  if (given === undefined || given.length > STATE_MAX) {
    return false;
  }
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
