import { Controller, Get, Inject, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import { ApiFoundResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiErrors, clientAddressOf, pageSecurityPolicy, Public, sendHtmlPage } from '@app/service-core';
import { LogtoAuthConfig, logtoAuthConfig } from '@app/security';
import { EdgeSessionsConfig, edgeSessionsConfig } from '../edge-sessions.config';
import { EDGE_SESSIONS_ERRORS, EdgeSessionError } from '../edge-sessions.errors';
import { EdgeSessions } from '../edge-sessions.service';
import { SignInRateLimited } from '../sign-in-rate-limit';
import { CallbackQuery, SIGN_IN_TTL_MS, SignInService } from '../sign-in.service';
import { BrowserPageFilter } from './browser-page.filter';
import { readCookie, setCookie } from './cookies';
import { signedOutPage, signOutConfirmationPage } from './pages';

const CALLBACK_PATH = '/api/auth/callback';
const QUERY_TEXT_MAX = 2048;

/**
 * Browser sign-in at the edge, served on EDGE_AUTH_HOST: login (validates `rd`, starts the Logto sign-in bound to a
 * login cookie), callback (completes it and sets the session cookie for every tenant host), logout (a confirmation
 * form, and the POST that ends the session and signs out of Logto), and the signed-out page Logto returns to.
 */
@ApiTags('auth')
@Controller('auth')
@Public()
@SignInRateLimited()
@UseFilters(BrowserPageFilter)
export class SignInController {
  private readonly loginCookieName: string;

  constructor(
    @Inject(edgeSessionsConfig.KEY) private readonly config: EdgeSessionsConfig,
    @Inject(logtoAuthConfig.KEY) private readonly logto: LogtoAuthConfig,
    private readonly signIn: SignInService,
    private readonly sessions: EdgeSessions,
  ) {
    this.loginCookieName = config.cookieSecure ? '__Secure-cameleer_login' : 'cameleer_login';
  }

  @Get('login')
  @ApiOperation({
    summary: 'Start a browser sign-in with Logto',
    description:
      'rd: the https URL to return to, on a tenant host (under TENANT_BASE_DOMAIN) or the platform’s own host. Sets a short-lived, ' +
      'single-use login cookie (Path=/api/auth/callback) and redirects to Logto (authorization code + PKCE).',
  })
  @ApiQuery({ name: 'rd', required: true, type: String })
  @ApiFoundResponse({ description: 'To Logto’s authorization endpoint.' })
  @ApiErrors(EDGE_SESSIONS_ERRORS, 'INVALID_REDIRECT', 'SIGN_IN_DISABLED', 'LOGTO_UNAVAILABLE')
  async login(@Query('rd') rd: unknown, @Res() reply: FastifyReply): Promise<void> {
    const started = await this.signIn.start(rd);
    void reply
      .header('cache-control', 'no-store')
      .header('set-cookie', setCookie(this.loginCookieName, started.loginCookie, { path: CALLBACK_PATH, secure: this.config.cookieSecure, maxAgeSeconds: SIGN_IN_TTL_MS / 1000 }))
      .redirect(started.authorizationUrl, 302);
  }

  @Get('callback')
  @ApiOperation({
    summary: 'Complete a browser sign-in (Logto redirects here)',
    description: 'Checks state against the login cookie (single use, at most ten minutes old), trades the code, sets the session cookie and redirects to rd.',
  })
  @ApiQuery({ name: 'code', required: false, type: String })
  @ApiQuery({ name: 'state', required: false, type: String })
  @ApiQuery({ name: 'error', required: false, type: String })
  @ApiFoundResponse({ description: 'To the rd of the sign-in, with the session cookie set.' })
  @ApiErrors(EDGE_SESSIONS_ERRORS, 'SIGN_IN_NOT_STARTED', 'SIGN_IN_INVALID', 'SIGN_IN_REFUSED', 'SIGN_IN_DISABLED', 'LOGTO_UNAVAILABLE')
  async callback(@Query() query: Record<string, unknown>, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    // The login cookie is spent whatever happens next.
    void reply.header('cache-control', 'no-store').header('set-cookie', setCookie(this.loginCookieName, '', { path: CALLBACK_PATH, secure: this.config.cookieSecure, maxAgeSeconds: 0 }));
    const completed = await this.signIn.complete(readCookie(request.headers.cookie, this.loginCookieName), callbackQuery(query), {
      userAgent: request.headers['user-agent'],
      sourceIp: clientAddressOf(request),
    });
    void reply
      .header('set-cookie', [
        setCookie(this.loginCookieName, '', { path: CALLBACK_PATH, secure: this.config.cookieSecure, maxAgeSeconds: 0 }),
        this.sessionCookie(completed.sessionCookie, (completed.sessionExpiresAt.getTime() - Date.now()) / 1000),
      ])
      .redirect(completed.redirectTo, 302);
  }

  @Get('logout')
  @ApiOperation({ summary: 'A confirmation form for signing out (HTML)' })
  @ApiOkResponse({ description: 'A small HTML page whose form posts to POST /api/auth/logout.', content: { 'text/html': {} } })
  logoutForm(@Res() reply: FastifyReply): void {
    this.sendPage(reply, signOutConfirmationPage());
  }

  @Post('logout')
  @ApiOperation({
    summary: 'Sign out of the browser session and of Logto',
    description:
      'From a form on the sign-in origin or a tenant origin only (Origin is checked; the cookie is SameSite=Lax). Ends the session, ' +
      'clears its cookie and redirects (303) to Logto’s end-session endpoint, which returns to /api/auth/signed-out.',
  })
  @ApiResponse({ status: 303, description: 'To Logto’s end-session endpoint (or the signed-out page when there was no session).' })
  @ApiErrors(EDGE_SESSIONS_ERRORS, 'FOREIGN_ORIGIN', 'SIGN_IN_DISABLED')
  async logout(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    if (!this.config.enabled) {
      throw new EdgeSessionError('SIGN_IN_DISABLED', 'Browser sign-in is not configured here (LOGTO_EDGE_APP_ID, TENANT_BASE_DOMAIN).');
    }
    if (!this.isAllowedOrigin(request.headers.origin)) {
      throw new EdgeSessionError('FOREIGN_ORIGIN', 'Sign out from a Cameleer page.');
    }
    const cookie = readCookie(request.headers.cookie, this.config.cookieName);
    const ended = cookie === undefined ? undefined : await this.sessions.endByCookie(cookie);
    let next = `${this.config.publicAuthOrigin ?? ''}/api/auth/signed-out`;
    if (ended !== undefined) {
      try {
        next = await this.signIn.endSessionUrl(ended.idToken);
      } catch {
        // Logto unreachable: the session here is over all the same; its own session ends when it expires.
      }
    }
    void reply.header('cache-control', 'no-store').header('set-cookie', this.sessionCookie('', 0)).redirect(next, 303);
  }

  @Get('signed-out')
  @ApiOperation({ summary: 'The page Logto returns to after signing out (HTML)' })
  @ApiOkResponse({ description: 'A small HTML page.', content: { 'text/html': {} } })
  signedOut(@Res() reply: FastifyReply): void {
    this.sendPage(reply, signedOutPage());
  }

  private sessionCookie(value: string, maxAgeSeconds: number): string {
    return setCookie(this.config.cookieName, value, { domain: this.config.cookieDomain, path: '/', secure: this.config.cookieSecure, maxAgeSeconds });
  }

  private sendPage(reply: FastifyReply, html: string): void {
    // The sign-out form is redirected on to Logto's end-session endpoint.
    const logtoOrigins = this.logto.issuer === undefined ? [] : [new URL(this.logto.issuer).origin];
    sendHtmlPage(reply, html, { securityPolicy: pageSecurityPolicy(logtoOrigins) });
  }

  /** The sign-in origin itself, or a tenant's origin (a no-access page's sign-out button). */
  private isAllowedOrigin(origin: string | undefined): boolean {
    if (origin === undefined || origin === 'null') {
      return false;
    }
    if (origin === this.config.publicAuthOrigin) {
      return true;
    }
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    const secureEnough = url.protocol === 'https:' || (!this.config.cookieSecure && url.protocol === 'http:');
    const portAllowed = url.port === '' || !this.config.cookieSecure;
    return secureEnough && portAllowed && url.origin === origin && url.hostname.endsWith(`.${this.config.cookieDomain ?? ''}`) && this.config.cookieDomain !== undefined;
  }
}

/** The callback's query as text, each value at most one string of bounded length (a repeated or huge value is none). */
function callbackQuery(query: Record<string, unknown>): CallbackQuery {
  const text = (value: unknown): string | undefined => (typeof value === 'string' && value.length <= QUERY_TEXT_MAX ? value : undefined);
  return { code: text(query.code), state: text(query.state), error: text(query.error) };
}
