import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { EventsError } from './events.errors';

/**
 * Addresses a webhook may never reach outside development: loopback, private, shared, link-local (cloud metadata),
 * multicast, reserved, and the IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4, Teredo), which could
 * carry any of those.
 */
// Two lists: Node matches an IPv4 address against IPv6 rules too, and ::ffff:0:0/96 would then cover all of IPv4.
const FORBIDDEN_V4 = new BlockList();
const FORBIDDEN_V6 = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  FORBIDDEN_V4.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['::ffff:0:0', 96],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 32],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  FORBIDDEN_V6.addSubnet(network, prefix, 'ipv6');
}

/** True when `address` (an IP literal) is not a public unicast address. Anything unparsable counts as forbidden. */
export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) {
    return true;
  }
  return family === 4 ? FORBIDDEN_V4.check(address, 'ipv4') : FORBIDDEN_V6.check(address, 'ipv6');
}

function refused(detail: string): EventsError {
  return new EventsError('TARGET_NOT_ALLOWED', detail);
}

/**
 * A subscription's URL as stored, or TARGET_NOT_ALLOWED: https (http only with EVENTS_ALLOW_INSECURE_TARGETS), no
 * credentials in it, and, outside development, no IP literal that is not public. Host names are checked when
 * resolved (resolveAllowed), at subscription time and again at each delivery.
 */
export function checkTargetUrl(raw: string, allowInsecure: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refused('url: not an absolute URL.');
  }
  if (url.protocol !== 'https:' && !(allowInsecure && url.protocol === 'http:')) {
    throw refused('url: webhook targets must be https.');
  }
  if (url.username !== '' || url.password !== '') {
    throw refused('url: may not carry credentials.');
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '' || (!allowInsecure && isIP(host) !== 0 && isForbiddenAddress(host))) {
    throw refused('url: a loopback, private, link-local or reserved address is not a webhook target.');
  }
  url.hash = '';
  return url;
}

type Resolver = (host: string) => Promise<readonly LookupAddress[]>;

const systemResolver: Resolver = (host) =>
  new Promise((resolve, reject) => dnsLookup(host, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))));

/**
 * Every address `host` resolves to, refused (TARGET_NOT_ALLOWED) if any is not public (unless allowed): a name that
 * resolves to both a public and a private address is refused, whichever a connection would pick.
 */
export async function resolveAllowed(host: string, allowInsecure: boolean, resolver: Resolver = systemResolver): Promise<readonly LookupAddress[]> {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  const family = isIP(bare);
  const addresses = family !== 0 ? [{ address: bare, family }] : await resolver(bare);
  if (addresses.length === 0) {
    throw refused(`${bare} does not resolve.`);
  }
  if (!allowInsecure && addresses.some((entry) => isForbiddenAddress(entry.address))) {
    throw refused(`${bare} resolves to a loopback, private, link-local or reserved address.`);
  }
  return addresses;
}

/**
 * A `lookup` for http.request that resolves with resolveAllowed and hands the socket exactly the addresses it
 * checked: there is no second resolution between check and connect, so DNS rebinding cannot slip a private
 * address in.
 */
export function checkedLookup(allowInsecure: boolean, resolver: Resolver = systemResolver) {
  return (
    hostname: string,
    options: { all?: boolean },
    callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    resolveAllowed(hostname, allowInsecure, resolver).then(
      (addresses) => {
        if (options.all === true) {
          callback(null, [...addresses]);
        } else {
          const [first] = addresses;
          callback(null, first!.address, first!.family);
        }
      },
      (error: Error) => callback(Object.assign(error, { code: 'ETARGETREFUSED' }), '', 0),
    );
  };
}
