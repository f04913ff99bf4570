import { BlockList, isIP } from 'node:net';

/** The configured reverse proxies: whose X-Forwarded-For entries may be believed. */
export interface TrustedProxies {
  readonly count: number;
  has(address: string): boolean;
}

/** Drops an IPv4-mapped IPv6 prefix (::ffff:10.0.0.1) and a zone id, so both notations match one rule. */
export function normalizeAddress(value: string): string | undefined {
  let address = value.trim();
  if (address.startsWith('[') && address.endsWith(']')) {
    address = address.slice(1, -1);
  }
  address = address.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped?.[1] !== undefined) {
    address = mapped[1];
  }
  return isIP(address) === 0 ? undefined : address.toLowerCase();
}

/** Parses `10.0.0.1, 10.1.0.0/16, fd00::/8`; returns what it could not read. */
export function parseTrustedProxies(list: string): { proxies: TrustedProxies; invalid: string[] } {
  const blockList = new BlockList();
  const invalid: string[] = [];
  let count = 0;
  for (const entry of list.split(',').map((part) => part.trim()).filter((part) => part !== '')) {
    const [rawAddress = '', prefix, ...rest] = entry.split('/');
    const address = normalizeAddress(rawAddress);
    const family = address === undefined ? 0 : isIP(address);
    if (address === undefined || rest.length > 0) {
      invalid.push(entry);
      continue;
    }
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) {
      blockList.addAddress(address, type);
    } else {
      const bits = /^\d{1,3}$/.test(prefix) ? Number(prefix) : NaN;
      if (!Number.isInteger(bits) || bits < 0 || bits > (family === 6 ? 128 : 32)) {
        invalid.push(entry);
        continue;
      }
      blockList.addSubnet(address, bits, type);
    }
    count++;
  }
  return {
    invalid,
    proxies: {
      count,
      has: (value: string) => {
        const address = normalizeAddress(value);
        return address !== undefined && count > 0 && blockList.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
      },
    },
  };
}

/**
 * The client's address: the direct peer, unless the peer is a trusted proxy; then the right-most address in
 * X-Forwarded-For that is not a trusted proxy (everything left of it could have been written by the client).
 * Unparseable entries stop the walk: the last trusted hop's view is used.
 */
export function sourceIpOf(peer: string | undefined, forwardedFor: string | string[] | undefined, trusted: TrustedProxies): string | undefined {
  let current = peer === undefined ? undefined : normalizeAddress(peer);
  if (current === undefined || !trusted.has(current) || forwardedFor === undefined) {
    return current;
  }
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
  for (let index = hops.length - 1; index >= 0; index--) {
    const hop = normalizeAddress(hops[index] ?? '');
    if (hop === undefined) {
      return current;
    }
    current = hop;
    if (!trusted.has(hop)) {
      return hop;
    }
  }
  return current;
}
