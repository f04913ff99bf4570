import { DynamicModule, Module, ModuleMetadata, Type } from '@nestjs/common';
import { LogtoClientModule } from '@app/logto-client';
import { SecurityModule } from '@app/security';
import { TenantsModule } from '@app/tenants';
import { InvitationAcceptController } from './http/invitation-accept.controller';
import { MembersController } from './http/members.controller';
import { INVITATION_BROWSER, type InvitationBrowser, NoInvitationBrowser } from './invitation-browser';
import { InvitationsService } from './invitations.service';
import { MembersService } from './members.service';

export interface MembersModuleOptions {
  /** Modules providing `browser`. */
  readonly imports?: ModuleMetadata['imports'];
  /** The edge sign-in as the accept page needs it; without it invitations can be sent but not accepted here. */
  readonly browser?: Type<InvitationBrowser>;
}

/** A tenant's members and invitations, through Logto's organization APIs, and the invitation accept page. */
@Module({})
export class MembersModule {
  static forRoot(options: MembersModuleOptions = {}): DynamicModule {
    return {
      module: MembersModule,
      imports: [LogtoClientModule, SecurityModule, TenantsModule, ...(options.imports ?? [])],
      controllers: [MembersController, InvitationAcceptController],
      providers: [
        MembersService,
        InvitationsService,
        options.browser === undefined ? { provide: INVITATION_BROWSER, useClass: NoInvitationBrowser } : { provide: INVITATION_BROWSER, useExisting: options.browser },
      ],
    };
  }
}
