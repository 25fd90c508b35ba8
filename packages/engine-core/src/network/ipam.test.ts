// IPv4 prefixes, address pools and the choice of a free subnet.
import { AddressPool, DEFAULT_IPAM_CONFIG, pickSubnet } from './ipam';
import { carve, formatCidr, overlaps, parseCidr } from './ipv4';
import { parseUsedPrefixes } from './host-routes';

/** The first element, which the test needs: fails clearly when there is none. */
function firstOf<T>(xs: readonly T[]): T {
  const [x] = xs;
  if (x === undefined) throw new Error('expected at least one element');
  return x;
}

describe('IPv4 prefixes', () => {
  test('parse clears host bits unless strict, and rejects junk', () => {
    expect(formatCidr(parseCidr('198.19.3.7/24'))).toBe('198.19.3.0/24');
    expect(() => parseCidr('198.19.3.7/24', true)).toThrow(/host bits are set, use 198.19.3.0\/24/);
    expect(() => parseCidr('198.19.300.0/24')).toThrow(/invalid IPv4 address/);
    expect(() => parseCidr('198.19.0.0/33')).toThrow(/invalid CIDR/);
    expect(formatCidr(parseCidr('198.19.0.9'))).toBe('198.19.0.9/32');
  });

  test('overlap is symmetric and respects the shorter prefix', () => {
    const p16 = parseCidr('198.19.0.0/16');
    expect(overlaps(p16, parseCidr('198.19.200.0/24'))).toBe(true);
    expect(overlaps(parseCidr('198.19.200.0/24'), p16)).toBe(true);
    expect(overlaps(parseCidr('198.19.1.0/24'), parseCidr('198.19.2.0/24'))).toBe(false);
  });

  test('a /16 carves into 256 /24s in order', () => {
    const all = [...carve(parseCidr('198.19.0.0/16'), 24)].map(formatCidr);
    expect(all).toHaveLength(256);
    expect(all[0]).toBe('198.19.0.0/24');
    expect(all[255]).toBe('198.19.255.0/24');
  });
});

describe('subnet choice', () => {
  test('the default pool is outside the private ranges', () => {
    const pool = parseCidr(firstOf(DEFAULT_IPAM_CONFIG.pools).base);
    for (const priv of ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'])
      expect(overlaps(pool, parseCidr(priv))).toBe(false);
  });

  test('picks the first /24 that overlaps no route, address or existing network', () => {
    const used = [parseCidr('198.19.0.0/24'), parseCidr('198.19.1.77/32'), parseCidr('192.0.2.0/24')];
    expect(formatCidr(pickSubnet(DEFAULT_IPAM_CONFIG, used))).toBe('198.19.2.0/24');
  });

  test('a route covering the whole pool falls through to the next pool, then fails clearly', () => {
    const cfg = {
      pools: [
        { base: '198.19.0.0/16', size: 24 },
        { base: '198.18.240.0/20', size: 24 },
      ],
    };
    expect(formatCidr(pickSubnet(cfg, [parseCidr('198.19.0.0/16')]))).toBe('198.18.240.0/24');
    expect(() => pickSubnet(cfg, [parseCidr('198.18.0.0/15')])).toThrow(
      /could not find an available, non-overlapping IPv4 address pool/,
    );
  });

  test('reads the prefixes from ip -j route / addr output', () => {
    const routes = JSON.stringify([
      { dst: 'default', gateway: '192.0.2.1' },
      { dst: '198.19.0.0/24', dev: 'br' },
      { dst: '127.0.0.1', type: 'local' },
    ]);
    const addrs = JSON.stringify([
      {
        ifname: 'x',
        addr_info: [
          { family: 'inet', local: '198.19.5.1', prefixlen: 24 },
          { family: 'inet6', local: 'fd00::2', prefixlen: 64 },
        ],
      },
    ]);
    expect(parseUsedPrefixes(routes, addrs).map(formatCidr)).toEqual([
      '198.19.0.0/24',
      '127.0.0.1/32',
      '198.19.5.0/24',
    ]);
  });
});

describe('AddressPool', () => {
  const subnet = parseCidr('198.19.7.0/29'); // .1 gateway, .2-.6 hosts, .7 broadcast

  test('gateway is the first host and never handed out; network and broadcast neither', () => {
    const pool = new AddressPool(subnet);
    expect(pool.toJSON().gateway).toBe('198.19.7.1');
    const got = [1, 2, 3, 4, 5].map(() => pool.allocate());
    expect(got).toEqual(['198.19.7.2', '198.19.7.3', '198.19.7.4', '198.19.7.5', '198.19.7.6']);
    expect(() => pool.allocate()).toThrow(/no available IPv4 addresses/);
  });

  test('a released address is reused only after the others (round robin)', () => {
    const pool = new AddressPool(subnet);
    const a = pool.allocate();
    pool.release(a);
    expect(pool.allocate()).toBe('198.19.7.3');
    pool.release('198.19.7.3');
    expect(pool.allocate()).toBe('198.19.7.4');
  });

  test('a static address must be inside, not reserved, and free', () => {
    const pool = new AddressPool(subnet);
    expect(pool.allocate('198.19.7.5')).toBe('198.19.7.5');
    expect(() => pool.allocate('198.19.7.5')).toThrow(/Address already in use/);
    expect(() => pool.allocate('198.19.7.1')).toThrow(
      /no configured subnet or ip-range contain the IP address 198.19.7.1/,
    );
    expect(() => pool.allocate('198.19.8.5')).toThrow(/no configured subnet/);
  });

  test('a custom gateway must be in the subnet', () => {
    expect(() => new AddressPool(subnet, parseCidr('198.19.8.1').base)).toThrow(/not in subnet/);
  });

  test('survives a JSON round trip with its allocations and cursor', () => {
    const pool = new AddressPool(parseCidr('198.19.9.0/24'));
    pool.allocate();
    pool.allocate('198.19.9.50');
    const back = AddressPool.fromJSON(JSON.parse(JSON.stringify(pool)));
    expect(back.allocated()).toEqual(['198.19.9.2', '198.19.9.50']);
    expect(back.allocate()).toBe('198.19.9.3');
    expect(back.isAllocated('198.19.9.50')).toBe(true);
  });

  test('--ip-range: automatic addresses come from the range only (the swarm keeps the upper half for VIPs); a static one may be anywhere in the subnet', () => {
    const pool = new AddressPool(parseCidr('198.19.9.0/28'), undefined, parseCidr('198.19.9.0/29'));
    // .0 is the subnet's network address, .1 the gateway; .7 is a host (the subnet's broadcast is .15)
    const got = [1, 2, 3, 4, 5, 6].map(() => pool.allocate());
    expect(got).toEqual(['198.19.9.2', '198.19.9.3', '198.19.9.4', '198.19.9.5', '198.19.9.6', '198.19.9.7']);
    expect(() => pool.allocate()).toThrow(/no available IPv4 addresses on this network's address pool 198.19.9.0\/29/);
    expect(pool.allocate('198.19.9.12')).toBe('198.19.9.12');
    const back = AddressPool.fromJSON(JSON.parse(JSON.stringify(pool)));
    expect(back.ipRange).toEqual(parseCidr('198.19.9.0/29'));
    back.release('198.19.9.4');
    expect(back.allocate()).toBe('198.19.9.4');
  });

  test('an --ip-range outside the subnet is refused with the reason', () => {
    expect(() => new AddressPool(parseCidr('198.19.9.0/24'), undefined, parseCidr('198.19.10.0/25'))).toThrow(
      /no matching subnet for range 198.19.10.0\/25/,
    );
    expect(() => new AddressPool(parseCidr('198.19.9.0/24'), undefined, parseCidr('198.19.8.0/23'))).toThrow(
      /no matching subnet for range/,
    );
  });
});
