// Traefik ForwardAuth: for every request entering the platform, who is calling and for which tenant.
export * from './forward-auth.config';
export * from './forward-auth.service';
export * from './forward-auth.module';
export * from './forward-auth.server';
export * from './tenant-directory';
export * from './expiring-lru';
export * from './agent-status';
