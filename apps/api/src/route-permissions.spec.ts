import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AccessPolicy } from '@app/security';
import { createHttpAdapter } from '@app/service-core';
import { AppModule } from './app.module';
import { routeTable } from './route-table';

/**
 * Every route of the API with who may call it. A change to this snapshot is a permission change:
 * review it as one. (Preview mode reads route metadata without instantiating anything.)
 */
describe('route permissions', () => {
  it('match the reviewed declarations', async () => {
    const app = await NestFactory.create<NestFastifyApplication>(AppModule, createHttpAdapter({ bodyLimitBytes: 65536 }), {
      preview: true,
      logger: false,
    });
    const routes = routeTable(app).map(
      ({ method, path, isPublic, policy }) => `${method.padEnd(6)} ${path.padEnd(48)} ${isPublic ? 'public' : describePolicy(policy)}`,
    );
    await app.close();
    expect(routes.sort().join('\n')).toMatchSnapshot();
  });
});

function describePolicy(policy: AccessPolicy | undefined): string {
  if (policy === undefined) {
    return 'DENIED (no declaration)';
  }
  if (policy.scheme === 'machine') {
    return `machine: ${policy.kinds.join(' | ')}`;
  }
  const parts = [policy.platform && `operator ${policy.platform}`, policy.tenant && `tenant member ${policy.tenant} (param ${policy.tenantParam ?? 'id'})`].filter(Boolean);
  const machine = policy.machine === undefined ? '' : ` or machine: ${policy.machine.join(' | ')}`;
  return `logto: ${parts.length > 0 ? parts.join(' or ') : 'any caller'}${machine}`;
}
