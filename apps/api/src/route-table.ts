import { INestApplicationContext, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { ModulesContainer } from '@nestjs/core/injector/modules-container';
import { ACCESS_POLICY, AccessPolicy } from '@app/security';
import { PUBLIC_ROUTE } from '@app/service-core';

/** One route of the API as its controllers declare it. */
export interface RouteEntry {
  readonly method: string;
  /** With the global prefix and `:param` placeholders, e.g. `/api/tenants/:id`. */
  readonly path: string;
  readonly isPublic: boolean;
  readonly policy: AccessPolicy | undefined;
  /** The path's `:param` names, in order. */
  readonly params: readonly string[];
  /** Whether the handler takes the JSON body (`@Body()`) and the query string (`@Query()`). */
  readonly readsBody: boolean;
  readonly readsQuery: boolean;
}

/**
 * Every route of the app, read from the controllers' metadata (works on an app created in preview mode too). The
 * one walk over the route table: the permission snapshot and the hostile-input sweep both start from it.
 */
export function routeTable(app: INestApplicationContext): RouteEntry[] {
  const routes: RouteEntry[] = [];
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
        const args = Object.keys((Reflect.getMetadata(ROUTE_ARGS_METADATA, type, name) ?? {}) as Record<string, unknown>);
        const reads = (paramtype: RouteParamtypes) => args.some((key) => key.split(':')[0] === String(paramtype));
        routes.push({
          method,
          path,
          isPublic: (Reflect.getMetadata(PUBLIC_ROUTE, handler) ?? Reflect.getMetadata(PUBLIC_ROUTE, type)) === true,
          policy: (Reflect.getMetadata(ACCESS_POLICY, handler) ?? Reflect.getMetadata(ACCESS_POLICY, type)) as AccessPolicy | undefined,
          params: [...path.matchAll(/:(\w+)/g)].map((match) => match[1] as string),
          readsBody: reads(RouteParamtypes.BODY),
          readsQuery: reads(RouteParamtypes.QUERY),
        });
      }
    }
  }
  return routes;
}
