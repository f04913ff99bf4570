import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

import { INTERACTION_PREFIX } from '../interaction/sign-in-page';
import type { ManagementApi } from '../management/management-api';
import type { JsonResponse } from '../management/route-table';
import type { ActiveFault, FaultInjector } from './faults';

export interface DevIdpRoutes {
  /** oidc-provider's request handler; it expects paths relative to its `/oidc` mount point. */
  oidc: (req: IncomingMessage, res: ServerResponse) => void;
  management: ManagementApi;
  /** The sign-in page (`/interaction/<uid>`), where oidc-provider sends a browser to sign in. */
  signIn: (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void>;
  faults: FaultInjector;
}

const OIDC_PREFIX = '/oidc';

/**
 * Binds loopback only: the dev IdP signs whatever its control channel asks for, so it must never be reachable
 * from another machine. Routes are attached after listening because the issuer depends on the bound port.
 */
export async function listenOnLoopback(port: number): Promise<{ server: Server; port: number; attach(routes: DevIdpRoutes): void }> {
  let routes: DevIdpRoutes | undefined;
  const server = createServer((req, res) => {
    if (!routes) {
      res.writeHead(503).end();
      return;
    }
    void handle(routes, req, res);
  });
  // Tests stop instances abruptly; idle keep-alive sockets must not keep the process alive.
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    attach: (value) => {
      routes = value;
    },
  };
}

async function handle({ oidc, management, signIn, faults }: DevIdpRoutes, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
  const path = url.pathname;
  try {
    if (path === '/api' || path.startsWith('/api/')) {
      if (await applyFault(faults.take('management'), req, res, managementFaultBody)) {
        return;
      }
      sendJson(res, await management(req, url));
      return;
    }
    if (path === OIDC_PREFIX || path.startsWith(`${OIDC_PREFIX}/`)) {
      if (path === `${OIDC_PREFIX}/token` && (await applyFault(faults.take('token'), req, res, tokenFaultBody))) {
        return;
      }
      // Mount under /oidc like Koa's mount(): oidc-provider derives its mount path from originalUrl minus url.
      (req as IncomingMessage & { originalUrl?: string }).originalUrl = req.url;
      req.url = (req.url ?? '/').slice(OIDC_PREFIX.length) || '/';
      oidc(req, res);
      return;
    }
    if (path.startsWith(INTERACTION_PREFIX)) {
      await signIn(req, res, path);
      return;
    }
    sendJson(res, { status: 404, body: { message: 'Not Found' } });
  } catch (error: unknown) {
    process.stderr.write(`dev-idp: ${req.method} ${path} failed: ${String(error)}\n`);
    if (!res.headersSent) {
      sendJson(res, { status: 500, body: { message: 'Internal server error.' } });
    }
  }
}

/** Returns true when the fault already answered (or dropped) the request. */
async function applyFault(
  fault: ActiveFault | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  errorBody: unknown,
): Promise<boolean> {
  switch (fault?.kind) {
    case undefined:
      return false;
    case 'down':
      // The closest a running server gets to "connection refused": drop the connection without answering.
      req.socket.destroy();
      return true;
    case 'slow':
      await sleep(fault.delayMs);
      return false;
    case 'error5xx':
      sendJson(res, { status: 503, body: errorBody });
      return true;
    case 'error4xx':
      sendJson(res, { status: fault.status, body: errorBody });
      return true;
    case 'timeoutAfterSuccess':
      holdResponse(res, fault.delayMs);
      return false;
  }
}

const managementFaultBody = { code: 'dev_idp.injected_fault', message: 'Injected fault.' };
const tokenFaultBody = { error: 'temporarily_unavailable', error_description: 'injected fault' };

/** Lets the request do its work (the write happens) but withholds the whole response, headers included. */
function holdResponse(res: ServerResponse, delayMs: number): void {
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  const held = (...args: unknown[]): ServerResponse => {
    setTimeout(() => end(...args), delayMs).unref();
    return res;
  };
  res.end = held as ServerResponse['end'];
}

function sendJson(res: ServerResponse, { status, body, headers = {} }: JsonResponse): void {
  for (const [name, value] of Object.entries(headers)) {
    res.setHeader(name, value);
  }
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}
