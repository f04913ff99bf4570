import { DynamicModule, Module, ModuleMetadata, Type } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { LicensingModule } from '@app/licensing';
import { machineTokensConfig, SecurityModule } from '@app/security';
import { serviceConfig } from '@app/service-core';
import { TenantsModule } from '@app/tenants';
import { AGENT_STATUS, AgentStatus } from './agent-status';
import { BROWSER_SESSIONS, BrowserSessions, NoBrowserSessions } from './browser-sessions';
import { ForwardAuthCaches } from './forward-auth.caches';
import { ForwardAuthController } from './forward-auth.controller';
import { forwardAuthConfig } from './forward-auth.config';
import { ForwardAuthServer } from './forward-auth.server';
import { ForwardAuthService } from './forward-auth.service';
import { IdentityAssertionSigner } from './identity-assertion';
import { ForwardAuthInvalidation } from './invalidation';

export interface ForwardAuthModuleOptions {
  /** The modules that export `agentStatus`. */
  readonly imports: ModuleMetadata['imports'];
  /** Required: without it forward-auth could not refuse a disabled agent's tokens, so it does not boot. */
  readonly agentStatus: Type<AgentStatus>;
  /** The edge sessions (from a module in `imports`); without them forward-auth is bearer-only. */
  readonly browserSessions?: Type<BrowserSessions>;
}

@Module({})
export class ForwardAuthModule {
  static forRoot(options: ForwardAuthModuleOptions): DynamicModule {
    return {
      module: ForwardAuthModule,
      imports: [ConfigModule.forFeature(forwardAuthConfig), ConfigModule.forFeature(serviceConfig), ConfigModule.forFeature(machineTokensConfig), SecurityModule, TenantsModule, LicensingModule, ...(options.imports ?? [])],
      controllers: [ForwardAuthController],
      providers: [
        { provide: AGENT_STATUS, useExisting: options.agentStatus },
        options.browserSessions === undefined ? { provide: BROWSER_SESSIONS, useClass: NoBrowserSessions } : { provide: BROWSER_SESSIONS, useExisting: options.browserSessions },
        ForwardAuthCaches,
        ForwardAuthInvalidation,
        ForwardAuthService,
        IdentityAssertionSigner,
        ForwardAuthServer,
      ],
      exports: [ForwardAuthServer],
    };
  }
}
