import { loadConfig } from '../config/config-schema';
import { serviceConfigSchema } from '../config/service.config';
import { normalizeAddress, parseTrustedProxies, sourceIpOf } from './source-ip';

describe('sourceIpOf', () => {
  const { proxies } = parseTrustedProxies('10.0.0.0/8, 192.168.1.5, fd00::/8');

  it('uses the peer when it is not a trusted proxy, whatever X-Forwarded-For says', () => {
    expect(sourceIpOf('203.0.113.9', '1.2.3.4', proxies)).toBe('203.0.113.9');
    expect(sourceIpOf('::ffff:203.0.113.9', undefined, proxies)).toBe('203.0.113.9');
  });

  it('takes the right-most address that is not a trusted proxy', () => {
    expect(sourceIpOf('10.0.0.2', '6.6.6.6, 198.51.100.1', proxies)).toBe('198.51.100.1');
    expect(sourceIpOf('10.0.0.2', '6.6.6.6, 198.51.100.1, 192.168.1.5, 10.1.2.3', proxies)).toBe('198.51.100.1');
    expect(sourceIpOf('fd00::1', ['198.51.100.1', 'fd00::2'], proxies)).toBe('198.51.100.1');
    expect(sourceIpOf('::ffff:10.0.0.2', '2001:db8::1', proxies)).toBe('2001:db8::1');
  });

  it('stops at garbage and keeps the last trusted view; all-trusted chains end at the left-most', () => {
    expect(sourceIpOf('10.0.0.2', 'not-an-ip, 198.51.100.1', proxies)).toBe('198.51.100.1');
    expect(sourceIpOf('10.0.0.2', '198.51.100.1, garbage', proxies)).toBe('10.0.0.2');
    expect(sourceIpOf('10.0.0.2', '10.0.0.3, 10.0.0.4', proxies)).toBe('10.0.0.3');
    expect(sourceIpOf('10.0.0.2', '', proxies)).toBe('10.0.0.2');
  });

  it('trusts nobody when the list is empty', () => {
    const none = parseTrustedProxies('').proxies;
    expect(none.count).toBe(0);
    expect(sourceIpOf('127.0.0.1', '1.2.3.4', none)).toBe('127.0.0.1');
  });

  it('normalizes addresses', () => {
    expect(normalizeAddress('[2001:DB8::1]')).toBe('2001:db8::1');
    expect(normalizeAddress('fe80::1%eth0')).toBe('fe80::1');
    expect(normalizeAddress('1.2.3')).toBeUndefined();
  });
});

describe('service config: TRUSTED_PROXIES', () => {
  it('parses TRUSTED_PROXIES and refuses what is not an IP or CIDR', () => {
    expect(loadConfig(serviceConfigSchema, { TRUSTED_PROXIES: '10.0.0.0/8, ::1' }).trustedProxies.count).toBe(2);
    expect(() => loadConfig(serviceConfigSchema, { TRUSTED_PROXIES: '10.0.0.0/33' })).toThrow(/TRUSTED_PROXIES/);
    expect(() => loadConfig(serviceConfigSchema, { TRUSTED_PROXIES: 'proxy.local' })).toThrow(/TRUSTED_PROXIES/);
    expect(loadConfig(serviceConfigSchema, {}).trustedProxies.count).toBe(0);
  });
});
