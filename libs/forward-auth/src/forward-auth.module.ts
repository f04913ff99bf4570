import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { LicensingModule } from '@app/licensing';
import { SecurityModule } from '@app/security';
import { ChangePublisher } from './change-publisher';
import { ForwardAuthController } from './forward-auth.controller';
import { forwardAuthConfig } from './forward-auth.config';
import { ForwardAuthServer } from './forward-auth.server';
import { ForwardAuthService } from './forward-auth.service';
import { TenantDirectory } from './tenant-directory';

@Module({
  imports: [ConfigModule.forFeature(forwardAuthConfig), SecurityModule, LicensingModule],
  controllers: [ForwardAuthController],
  providers: [ForwardAuthService, ForwardAuthServer, TenantDirectory, ChangePublisher],
  exports: [ForwardAuthService, ForwardAuthServer],
})
export class ForwardAuthModule {}
