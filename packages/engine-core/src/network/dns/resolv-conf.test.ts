import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseResolvConf, parseUpstream, ResolvConfReader } from './resolv-conf';

describe('resolv.conf', () => {
  it('reads nameservers (loopback ones too) and the last search or domain line', () => {
    const c = parseResolvConf(
      '# comment\nnameserver 127.0.0.53\nnameserver 10.0.0.2 # lan\nsearch a.example b.example\ndomain c.example\noptions edns0\nnameserver bogus\n',
    );
    expect(c.nameservers).toEqual([
      { host: '127.0.0.53', port: 53 },
      { host: '10.0.0.2', port: 53 },
    ]);
    expect(c.search).toEqual(['c.example']);
    expect(parseResolvConf('').nameservers).toEqual([]);
  });

  it('parses upstreams with ports', () => {
    expect(parseUpstream('127.0.0.9:5353')).toEqual({ host: '127.0.0.9', port: 5353 });
    expect(parseUpstream('[::1]:54')).toEqual({ host: '::1', port: 54 });
    expect(parseUpstream('fe80::1%eth0')).toBeUndefined(); // a scoped address: not supported
    expect(parseUpstream('1.2.3.4:0')).toBeUndefined();
    expect(parseUpstream('dns.example')).toBeUndefined();
  });

  it('the reader notices a rewritten file, at most once a second', () => {
    const dir = mkdtempSync(join(tmpdir(), 'resolv-'));
    try {
      const path = join(dir, 'resolv.conf');
      let now = 0;
      const r = new ResolvConfReader(path, () => now);
      expect(r.read().nameservers).toEqual([]);
      writeFileSync(path, 'nameserver 10.0.0.1\n');
      now += 1500;
      expect(r.read().nameservers.map((n) => n.host)).toEqual(['10.0.0.1']);
      writeFileSync(path, 'nameserver 10.0.0.2\n');
      utimesSync(path, new Date(), new Date(Date.now() + 5000));
      now += 100;
      expect(r.read().nameservers.map((n) => n.host)).toEqual(['10.0.0.1']);
      now += 1000;
      expect(r.read().nameservers.map((n) => n.host)).toEqual(['10.0.0.2']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
