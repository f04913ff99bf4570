import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { DEFAULT_IPV6_SUBNET_PREFIX, normalizeIp } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { normalizeAddress, sourceIpOf, TrustedProxies } from './source-ip';

const CLIENT_ADDRESS = Symbol('cameleer.clientAddress');

type WithClientAddress = { [CLIENT_ADDRESS]?: string | undefined };

/**
 * Resolves a request's client address under TRUSTED_PROXIES (sourceIpOf's rule) and remembers it on the request.
 * applyHttpDefaults runs it for every request before any guard, so every rate limit and the audit trail see
 * the same address.
 */
export function resolveClientAddress(request: FastifyRequest, trusted: TrustedProxies): void {
  (request as WithClientAddress)[CLIENT_ADDRESS] = sourceIpOf(request.raw.socket?.remoteAddress, request.headers['x-forwarded-for'], trusted);
}

/**
 * The client's address (the forwarded client behind a trusted proxy, else the peer); undefined when the peer is
 * unknown. A request that was never resolved (no applyHttpDefaults) falls back to its peer, never to a header.
 */
export function clientAddressOf(request: FastifyRequest): string | undefined {
  const stored = request as WithClientAddress;
  return CLIENT_ADDRESS in stored ? stored[CLIENT_ADDRESS] : normalizeAddress(request.raw.socket?.remoteAddress ?? '');
}

/**
 * The rate-limit key of a request's client: its address, an IPv6 client's /64 (one host usually holds the whole
 * subnet), or the peer as Fastify reports it when no address is known. What every throttled route keys on.
 */
export function clientRateLimitKey(request: FastifyRequest): string {
  return normalizeIp(clientAddressOf(request) ?? String(request.ip), DEFAULT_IPV6_SUBNET_PREFIX);
}

/** The handler parameter gets the request's client address (string, or undefined when the peer is unknown). */
export const ClientAddress = createParamDecorator((_data: unknown, context: ExecutionContext) => clientAddressOf(context.switchToHttp().getRequest<FastifyRequest>()));
