import { Controller, Get, Module, Param, Post } from '@nestjs/common';
import { Authorize, CurrentPrincipal, MachineAuth, Principal } from '@app/security';

/** Counts writes that got past the guard, so hostile-token tests can prove nothing changed. */
export const probeWrites = { count: 0 };

/** Test-only routes with each kind of access declaration. */
@Controller('probe-auth')
class SecurityProbeController {
  @Get('undeclared')
  undeclared(): { reached: true } {
    return { reached: true };
  }

  @Get('operator')
  @Authorize({ platform: 'platform:read' })
  operatorRead(@CurrentPrincipal() principal: Principal): { subject: string } {
    return { subject: principal.subject };
  }

  @Post('operator')
  @Authorize({ platform: 'platform:write' })
  operatorWrite(): { writes: number } {
    probeWrites.count += 1;
    return { writes: probeWrites.count };
  }

  @Get('tenants/:id')
  @Authorize({ platform: 'platform:read', tenant: 'tenant:read' })
  tenantRead(@Param('id') id: string): { tenantId: string } {
    return { tenantId: id };
  }

  @Get('agent')
  @MachineAuth('agent')
  agent(@CurrentPrincipal() principal: Principal): Principal {
    return principal;
  }
}

@Module({ controllers: [SecurityProbeController] })
export class SecurityProbeModule {}
