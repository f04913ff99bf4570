import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { NestFactory } from '@nestjs/core';
import { ModulesContainer } from '@nestjs/core/injector/modules-container';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { PUBLIC_ROUTE } from '@app/service-core';
import { ACCESS_POLICY, AccessPolicy } from '@app/security';
import { createHttpAdapter } from '@app/service-core';
import { AppModule } from './app.module';

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
    const routes: string[] = [];
    for (const module of app.get(ModulesContainer).values()) {
      for (const controller of module.controllers.values()) {
        const type = controller.metatype as unknown as { prototype: Record<string, unknown> } & object;
        if (!type?.prototype) {
          continue;
        }
        const controllerPath = String(Reflect.getMetadata(PATH_METADATA, type) ?? '');
        for (const name of Object.getOwnPropertyNames(type.prototype)) {
          const handler = type.prototype[name];
          if (name === 'constructor' || typeof handler !== 'function' || Reflect.getMetadata(PATH_METADATA, handler) === undefined) {
            continue;
          }
          const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
          const path = `/${[controllerPath.startsWith('.well-known') ? '' : 'api', controllerPath, String(Reflect.getMetadata(PATH_METADATA, handler))]
            .filter((part) => part !== '' && part !== '/')
            .join('/')}`;
          const isPublic = (Reflect.getMetadata(PUBLIC_ROUTE, handler) ?? Reflect.getMetadata(PUBLIC_ROUTE, type)) === true;
          const policy = (Reflect.getMetadata(ACCESS_POLICY, handler) ?? Reflect.getMetadata(ACCESS_POLICY, type)) as AccessPolicy | undefined;
          routes.push(`${method.padEnd(6)} ${path.padEnd(48)} ${isPublic ? 'public' : describePolicy(policy)}`);
        }
      }
    }
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
  return `logto: ${parts.length > 0 ? parts.join(' or ') : 'any caller'}`;
}
