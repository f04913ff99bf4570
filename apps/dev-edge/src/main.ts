import { startStubUpstream } from './stub-upstream';
import { startTraefikLikeProxy } from './traefik-like-proxy';

// `npm start`'s edge, in place of Traefik: on DEV_EDGE_PORT, EDGE_AUTH_HOST's sign-in paths go to the API, every
// other host through forward-auth (the API's verify route, as the stack's forwardAuth middleware) to a stub page
// standing in for cameleer3-server. Loopback only; never deploy it. Prints one JSON line once listening.

const SIGN_IN_PATHS = ['/api/auth/login', '/api/auth/callback', '/api/auth/logout', '/api/auth/signed-out'];

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`${name} must be set`);
  }
  return value;
}

async function main(): Promise<void> {
  const api = required('DEV_EDGE_API_URL');
  const upstream = await startStubUpstream();
  const proxy = await startTraefikLikeProxy({
    authAddress: process.env.DEV_EDGE_FORWARD_AUTH_URL ?? `${api}/api/auth/verify`,
    upstream: upstream.url,
    authResponseHeadersRegex: /^x[-_]cameleer[-_]/i,
    authResponseHeaders: ['Cookie'],
    routes: [{ host: required('EDGE_AUTH_HOST'), paths: SIGN_IN_PATHS, upstream: api }],
    port: Number(process.env.DEV_EDGE_PORT ?? '8080'),
  });
  const stop = (): void => {
    void Promise.all([proxy.close(), upstream.close()]).then(() => process.exit(0));
    setTimeout(() => process.exit(0), 1_000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdout.write(`${JSON.stringify({ event: 'listening', port: proxy.port })}\n`);
}

main().catch((error: unknown) => {
  const code = (error as { code?: unknown }).code;
  process.stderr.write(code === 'EADDRINUSE' ? `dev edge: port ${process.env.DEV_EDGE_PORT ?? '8080'} is in use; set DEV_EDGE_PORT\n` : `dev edge: ${String(error)}\n`);
  process.exit(1);
});
