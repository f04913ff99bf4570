import { Inject, Injectable, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { EdgeSessions, edgeSessionsConfig, type EdgeSessionsConfig, EdgeSessionsModule } from '@app/edge-sessions';
import type { BrowserSession, BrowserSessions, BrowserSignIn } from '@app/forward-auth';

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

@Module({
  imports: [EdgeSessionsModule, ConfigModule.forFeature(edgeSessionsConfig)],
  providers: [EdgeBrowserSessions],
  exports: [EdgeBrowserSessions],
})
export class EdgeBrowserSessionsModule {}
