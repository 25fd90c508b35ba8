import { applyDnsOverrides, containerResolvConf, embeddedDnsResolvConf, hostsFile } from './etc-files';
import { MissingDependencyError } from '../errors';
import { findRunc } from './runc';
import { resolveUserSpec } from './user';

describe('per-container /etc files', () => {
  it('drops loopback nameservers and keeps the rest', () => {
    expect(containerResolvConf('search lan\nnameserver 127.0.0.53\nnameserver 10.0.0.2\noptions edns0\n')).toBe(
      'search lan\nnameserver 10.0.0.2\noptions edns0\n',
    );
  });
  it('falls back to public nameservers only when none is left', () => {
    expect(containerResolvConf('nameserver 127.0.0.1\n')).toBe('nameserver 8.8.8.8\nnameserver 8.8.4.4\n');
    expect(containerResolvConf('nameserver 127.0.0.1\n', true)).toBe('nameserver 127.0.0.1\n');
  });
  it('maps the hostname to the container address', () => {
    const h = hostsFile('abcdef012345', '172.17.0.2', ['web']);
    expect(h).toContain('127.0.0.1\tlocalhost\n');
    expect(h).toContain('172.17.0.2\tabcdef012345 web\n');
    expect(hostsFile('x')).not.toContain('\tx');
    expect(hostsFile('x', undefined, [], ['db:198.18.0.5', 'cache=198.18.0.6'])).toContain(
      '198.18.0.5\tdb\n198.18.0.6\tcache\n',
    );
  });
  it('lets --dns, --dns-search and --dns-option replace the host entries', () => {
    expect(
      applyDnsOverrides('search lan\nnameserver 10.0.0.2\noptions edns0\n', { dns: ['198.18.0.1'], search: ['svc'] }),
    ).toBe('options edns0\nsearch svc\nnameserver 198.18.0.1\n');
    expect(applyDnsOverrides('nameserver 10.0.0.2\n', {})).toBe('nameserver 10.0.0.2\n');
  });
});

describe('resolveUserSpec', () => {
  const passwd = 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:app:/home/app:/bin/sh\n';
  const group = 'root:x:0:\napp:x:1001:\nwheel:x:10:app\n';
  it('resolves names, numbers and groups', () => {
    expect(resolveUserSpec('app', passwd, group)).toEqual({
      uid: 1000,
      gid: 1001,
      additionalGids: [10],
      home: '/home/app',
    });
    expect(resolveUserSpec('1000:wheel', passwd, group)).toMatchObject({ uid: 1000, gid: 10 });
    expect(resolveUserSpec('4242', passwd, group)).toMatchObject({ uid: 4242, gid: 0 });
    expect(resolveUserSpec('', passwd, group)).toMatchObject({ uid: 0, gid: 0, home: '/root' });
  });
  it('fails like docker for unknown names', () => {
    expect(() => resolveUserSpec('ghost', passwd, group)).toThrow(
      'unable to find user ghost: no matching entries in passwd file',
    );
  });
});

describe('findRunc', () => {
  it('says what to install when runc is not on PATH', () => {
    expect(() => findRunc('/nonexistent-dir')).toThrow(new MissingDependencyError('runc', 'runc'));
    expect(() => findRunc('/nonexistent-dir')).toThrow('runc not found: apt-get install runc');
    expect(findRunc()).toMatch(/\/runc$/);
  });
});

describe('embeddedDnsResolvConf', () => {
  it('points at the network gateway with the host search domains and ndots:0, and --dns still wins', () => {
    const host = 'nameserver 127.0.0.53\nsearch example.com lab\noptions edns0\n';
    const file = embeddedDnsResolvConf(host, '198.19.3.1');
    expect(file).toBe('search example.com lab\nnameserver 198.19.3.1\noptions ndots:0\n');
    expect(embeddedDnsResolvConf('domain corp\nnameserver 1.1.1.1\n', '10.0.0.1')).toBe(
      'search corp\nnameserver 10.0.0.1\noptions ndots:0\n',
    );
    expect(embeddedDnsResolvConf('', '10.0.0.1')).toBe('nameserver 10.0.0.1\noptions ndots:0\n');
    expect(applyDnsOverrides(file, { dns: ['9.9.9.9'], options: ['ndots:2'] })).toBe(
      'search example.com lab\nnameserver 9.9.9.9\noptions ndots:2\n',
    );
  });
});
