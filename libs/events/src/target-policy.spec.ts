import { checkedLookup, checkTargetUrl, isForbiddenAddress, resolveAllowed } from './target-policy';

describe('webhook target policy', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '64:ff9b::a00:1',
    '2002:a00:1::1',
    'not-an-ip',
  ])('%s is not a target', (address) => {
    expect(isForbiddenAddress(address)).toBe(true);
  });

  it.each(['93.184.215.14', '1.1.1.1', '2606:4700:4700::1111'])('%s is a public address', (address) => {
    expect(isForbiddenAddress(address)).toBe(false);
  });

  it.each([
    'http://example.com/hook',
    'ftp://example.com/hook',
    'https://user:secret@example.com/hook',
    'https://127.0.0.1/hook',
    'https://[::1]/hook',
    'https://169.254.169.254/latest/meta-data',
    'https://[::ffff:10.0.0.1]/hook',
    'https://2130706433/hook',
    'not a url',
  ])('refuses %s', (url) => {
    expect(() => checkTargetUrl(url, false)).toThrow(expect.objectContaining({ code: 'TARGET_NOT_ALLOWED' }));
  });

  it('accepts an https URL on a name or public address, and http/loopback only when insecure targets are allowed', () => {
    expect(checkTargetUrl('https://hooks.example.com/x#frag', false).toString()).toBe('https://hooks.example.com/x');
    expect(checkTargetUrl('https://1.1.1.1/x', false).hostname).toBe('1.1.1.1');
    expect(checkTargetUrl('http://127.0.0.1:8080/x', true).port).toBe('8080');
  });

  it('refuses a name that resolves to any private address, even alongside a public one', async () => {
    const resolver = () =>
      Promise.resolve([
        { address: '93.184.215.14', family: 4 },
        { address: '10.0.0.5', family: 4 },
      ]);
    await expect(resolveAllowed('mixed.example.com', false, resolver)).rejects.toMatchObject({ code: 'TARGET_NOT_ALLOWED' });
    await expect(resolveAllowed('mixed.example.com', true, resolver)).resolves.toHaveLength(2);
  });

  it('at connection time hands the socket only checked addresses: a name rebound to loopback fails the lookup', async () => {
    let answer = '93.184.215.14';
    const lookup = checkedLookup(false, () => Promise.resolve([{ address: answer, family: 4 }]));
    const resolveOnce = () =>
      new Promise<string>((resolve, reject) => lookup('rebind.example.com', {}, (error, address) => (error ? reject(error) : resolve(address as string))));
    await expect(resolveOnce()).resolves.toBe('93.184.215.14');
    answer = '127.0.0.1';
    await expect(resolveOnce()).rejects.toMatchObject({ code: 'ETARGETREFUSED' });
  });
});
