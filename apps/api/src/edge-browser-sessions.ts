import { Inject, Injectable, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { EdgeSessions, edgeSessionsConfig, type EdgeSessionsConfig, EdgeSessionsModule, readCookie } from '@app/edge-sessions';
import type { BrowserSession, BrowserSessions, BrowserSignIn } from '@app/forward-auth';
import type { InvitationBrowser } from '@app/members';

/**
 * Forward-auth's session path (its BrowserSessions port) over the edge sessions: the libs do not know each other,
 * the app joins them here. Browser sign-in is on when the edge sessions config says so.
 */
@Injectable()
export class EdgeBrowserSessions implements BrowserSessions {
  readonly signIn: BrowserSignIn | undefined;

  constructor(
    private readonly sessions: EdgeSessions,
    @Inject(edgeSessionsConfig.KEY) config: EdgeSessionsConfig,
  ) {
    this.signIn =
      config.enabled && config.publicAuthOrigin !== undefined
        ? { cookieName: config.cookieName, cookieDomain: config.cookieDomain, cookieSecure: config.cookieSecure, publicAuthOrigin: config.publicAuthOrigin }
        : undefined;
  }

  cachedSession(cookieValue: string): BrowserSession | undefined {
    return this.sessions.cachedSession(cookieValue);
  }

  find(cookieValue: string): Promise<BrowserSession | undefined> | BrowserSession | undefined {
    return this.sessions.find(cookieValue);
  }

  cachedOrganizationToken(sessionId: string, organizationId: string): string | undefined {
    return this.sessions.cachedOrganizationToken(sessionId, organizationId);
  }

  organizationToken(session: BrowserSession, organizationId: string): Promise<string> {
    return this.sessions.organizationToken(session, organizationId);
  }
}

/**
 * The members lib's accept page (InvitationBrowser port) over the edge sessions: who the session cookie belongs to,
 * where the edge sign-in is, and a tenant's host (`<slug>.<TENANT_BASE_DOMAIN>`, with the sign-in origin's scheme and port).
 */
@Injectable()
export class EdgeInvitationBrowser implements InvitationBrowser {
  readonly publicAuthOrigin: string | undefined;

  constructor(
    private readonly sessions: EdgeSessions,
    @Inject(edgeSessionsConfig.KEY) private readonly config: EdgeSessionsConfig,
  ) {
    this.publicAuthOrigin = config.enabled ? config.publicAuthOrigin : undefined;
  }

  async signedInUser(cookieHeader: string | undefined): Promise<string | undefined> {
    const cookie = readCookie(cookieHeader, this.config.cookieName);
    return cookie === undefined ? undefined : (await this.sessions.find(cookie))?.subject;
  }

  tenantUrl(slug: string): string | undefined {
    if (this.publicAuthOrigin === undefined || this.config.cookieDomain === undefined) {
      return undefined;
    }
    const origin = new URL(this.publicAuthOrigin);
    return `${origin.protocol}//${slug}.${this.config.cookieDomain}${origin.port === '' ? '' : `:${origin.port}`}/`;
  }
}

@Module({
  imports: [EdgeSessionsModule, ConfigModule.forFeature(edgeSessionsConfig)],
  providers: [EdgeBrowserSessions, EdgeInvitationBrowser],
  exports: [EdgeBrowserSessions, EdgeInvitationBrowser],
})
export class EdgeBrowserSessionsModule {}
