import { SetMetadata } from '@nestjs/common';

export const PUBLIC_ROUTE = 'cameleer:public-route';

/**
 * Marks a route (or controller) as callable without credentials. Every other route is denied
 * unless it declares who may call it; the security lib's global guard enforces that.
 */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE, true);
