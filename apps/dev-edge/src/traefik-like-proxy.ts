import { createServer, IncomingHttpHeaders, IncomingMessage, request as httpRequest, RequestListener, Server, ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { AddressInfo } from 'node:net';

/**
 * A small proxy that behaves like Traefik's forwardAuth middleware (pkg/middlewares/auth/forward.go,
 * trustForwardHeader=false, as described in shared/docs/traefik-forward-auth-and-compose.md):
 * - the auth request is a GET with no body, the client's headers minus hop-by-hop ones, and the
 *   X-Forwarded-* family deleted (underscore variants too) and rebuilt from the connection;
 * - on 2xx every client request header matching `authResponseHeadersRegex` is deleted, then the matching
 *   auth response headers are copied; each header named in `authResponseHeaders` is deleted from the client
 *   request, then copied from the auth response if it has one (so `Cookie` there replaces the browser's cookies
 *   with what the auth server answered, or removes them); then the original request (method and body) goes upstream;
 * - any other status is returned to the client verbatim (status, headers minus hop-by-hop, body);
 * - an unreachable auth server gives the client a 500.
 */
export interface TraefikLikeProxy {
  /** `http://127.0.0.1:<port>`, or `https://…` with `tls`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface TraefikLikeProxyOptions {
  /** The forwardAuth address. */
  readonly authAddress: string;
  /** Where requests that forwardAuth lets through go (the tenant router's service). */
  readonly upstream: string;
  readonly authResponseHeadersRegex?: RegExp;
  /** Traefik's `authResponseHeaders` list (e.g. ['Cookie']). */
  readonly authResponseHeaders?: readonly string[];
  /** Routers without forwardAuth, by exact host name (any port) and exact paths, like the stack's auth-host router. */
  readonly routes?: readonly { readonly host: string; readonly paths: readonly string[]; readonly upstream: string }[];
  /** Serve HTTPS with this key and certificate (PEM); X-Forwarded-Proto is then https. */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
  readonly listenHost?: string;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-authenticate', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'];
const MANAGED_FORWARDED = /^x[-_]forwarded[-_](proto|for|host|port|server|uri|method|prefix|scheme|tls[-_]client[-_]cert([-_]info)?)$|^x[-_]real[-_]ip$/i;

function withoutHopByHop(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const named = String(headers.connection ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!HOP_BY_HOP.includes(name) && !named.includes(name)) {
      out[name] = value;
    }
  }
  return out;
}

function readBody(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

function send(target: URL, method: string, headers: IncomingHttpHeaders, body?: Buffer): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(target, { method, headers: { ...headers, host: target.host }, timeout: 30_000 }, (response) => {
      readBody(response).then((data) => resolve({ status: response.statusCode ?? 502, headers: response.headers, body: data }), reject);
    });
    outgoing.on('error', reject);
    outgoing.on('timeout', () => outgoing.destroy(new Error('auth request timed out')));
    outgoing.end(body);
  });
}

export async function startTraefikLikeProxy(options: TraefikLikeProxyOptions): Promise<TraefikLikeProxy> {
  const proto = options.tls === undefined ? 'http' : 'https';
  const copied = (options.authResponseHeaders ?? []).map((name) => name.toLowerCase());
  const routeFor = (hostHeader: string | undefined, target: string | undefined) => {
    const host = hostHeader?.toLowerCase().replace(/:\d+$/, '');
    const path = (target ?? '/').split('?')[0];
    return options.routes?.find((route) => route.host.toLowerCase() === host && path !== undefined && route.paths.includes(path));
  };
  const handler: RequestListener = (client: IncomingMessage, reply: ServerResponse) => {
    void (async () => {
      const body = await readBody(client);
      const route = routeFor(client.headers.host, client.url);
      if (route !== undefined) {
        const headers = withoutHopByHop(client.headers);
        for (const name of Object.keys(headers)) {
          if (MANAGED_FORWARDED.test(name)) {
            delete headers[name];
          }
        }
        Object.assign(headers, { 'x-forwarded-proto': proto, 'x-forwarded-host': client.headers.host ?? '', 'x-forwarded-for': client.socket.remoteAddress ?? '' });
        const passed = await send(new URL(client.url ?? '/', route.upstream), client.method ?? 'GET', headers, body);
        reply.writeHead(passed.status, withoutHopByHop(passed.headers) as Record<string, string>).end(passed.body);
        return;
      }
      const authHeaders = withoutHopByHop(client.headers);
      for (const name of Object.keys(authHeaders)) {
        if (MANAGED_FORWARDED.test(name)) {
          delete authHeaders[name];
        }
      }
      Object.assign(authHeaders, {
        'x-forwarded-method': client.method ?? 'GET',
        'x-forwarded-proto': proto,
        'x-forwarded-host': client.headers.host ?? '',
        'x-forwarded-uri': client.url ?? '/',
        'x-forwarded-for': client.socket.remoteAddress ?? '',
      });
      delete authHeaders['content-length'];
      let auth;
      try {
        auth = await send(new URL(options.authAddress), 'GET', authHeaders);
      } catch {
        reply.writeHead(500).end();
        return;
      }
      if (auth.status < 200 || auth.status >= 300) {
        reply.writeHead(auth.status, withoutHopByHop(auth.headers) as Record<string, string>).end(auth.body);
        return;
      }
      const upstreamHeaders = withoutHopByHop(client.headers);
      const regex = options.authResponseHeadersRegex;
      if (regex !== undefined) {
        for (const name of Object.keys(upstreamHeaders)) {
          if (regex.test(name)) {
            delete upstreamHeaders[name];
          }
        }
        for (const [name, value] of Object.entries(auth.headers)) {
          if (regex.test(name)) {
            upstreamHeaders[name] = value;
          }
        }
      }
      for (const name of copied) {
        delete upstreamHeaders[name];
        const value = auth.headers[name];
        if (value !== undefined) {
          upstreamHeaders[name] = value;
        }
      }
      const upstream = await send(new URL(client.url ?? '/', options.upstream), client.method ?? 'GET', upstreamHeaders, body);
      reply.writeHead(upstream.status, withoutHopByHop(upstream.headers) as Record<string, string>).end(upstream.body);
    })().catch(() => {
      if (!reply.headersSent) {
        reply.writeHead(502).end();
      }
    });
  };
  const server: Server = options.tls === undefined ? createServer(handler) : createTlsServer({ key: options.tls.key, cert: options.tls.cert }, handler);
  const listenHost = options.listenHost ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, listenHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${proto}://${listenHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The upstream behind the proxy: answers with what it received, so tests can see what got through. */
export async function startEchoUpstream(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((request, reply) => {
    void readBody(request).then((body) => {
      reply.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({ method: request.method, url: request.url, headers: request.headers, body: body.toString('utf8') }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
