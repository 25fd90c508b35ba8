// The embedded DNS of user-defined networks with real containers: busybox's nslookup inside runc
// containers asks the server on the network's gateway. A stub nameserver on loopback stands in for
// the host's resolvers (the daemon is pointed at it), so nothing here touches /etc/resolv.conf.
import { execFileSync } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildDnsQuery, DNS_RCODE, DNS_TYPE, parseDnsResponse, type DnsResponseView } from '@flotilla/engine-core';
import { buildAnswer, parseQuery } from '../../packages/engine-core/src/network/dns/wire';
import { containerResolvConf } from '../../packages/engine-core/src/runtime/etc-files';
import { TestEngine } from './harness';

jest.setTimeout(120_000);

const engine = new TestEngine('dns');
const STUB_HOST = '127.0.0.1';
let stub: UdpSocket;
const stubSeen: string[] = [];

/** The "host's resolver": outside.example -> 192.0.2.55, NXDOMAIN for everything else. */
async function startStub(): Promise<number> {
  stub = createSocket('udp4');
  stub.on('message', (m, r) => {
    const q = parseQuery(m);
    const question = q.questions[0];
    stubSeen.push(question?.name ?? '');
    const known = question?.name === 'outside.example' && question.type === DNS_TYPE.A;
    const answer = buildAnswer({
      id: q.id,
      rd: q.rd,
      question,
      rcode: known ? DNS_RCODE.NOERROR : DNS_RCODE.NXDOMAIN,
      addresses: known ? ['192.0.2.55'] : [],
      ttl: 60,
    });
    stub.send(answer, r.port, r.address);
  });
  await new Promise<void>((res) => stub.bind(0, STUB_HOST, () => res()));
  return stub.address().port;
}

function dnsOptions(port: number) {
  return {
    dns: {
      upstreams: [`${STUB_HOST}:${port}`],
      forwardTimeoutMs: 1000,
      resolvConfPath: join(engine.dir, 'resolv.conf'),
    },
  };
}

let gateway = '';
let webIp = '';
let webId = '';

beforeAll(async () => {
  const port = await startStub();
  // The embedded DNS's view of the host's resolver configuration: only its search domain counts here.
  writeFileSync(join(engine.dir, 'resolv.conf'), 'search example.com\n');
  await engine.start(dnsOptions(port));
  await engine.importBusybox();
  await engine.ok(['network', 'create', 'dnsnet']);
  const net = JSON.parse(await engine.ok(['network', 'inspect', 'dnsnet']))[0];
  gateway = net.IPAM.Config[0].Gateway;
  webId = (
    await engine.ok([
      'run',
      '-d',
      '--name',
      'web',
      '--network',
      'dnsnet',
      '--network-alias',
      'WebAlias',
      'busybox',
      'sleep',
      '600',
    ])
  ).trim();
  webIp = JSON.parse(await engine.ok(['inspect', 'web']))[0].NetworkSettings.Networks.dnsnet.IPAddress;
});

afterAll(async () => {
  stub?.close();
  await engine.cleanup();
});

/** `nslookup NAME` in a throwaway container on `network`: exit code and output. */
async function nslookup(name: string, network = 'dnsnet', type = 'a'): Promise<{ code: number; out: string }> {
  const r = await engine.cli(['run', '--rm', '--network', network, 'busybox', 'nslookup', `-type=${type}`, name]);
  return { code: r.code, out: r.stdout + r.stderr };
}

/** The addresses nslookup printed in its answer section. */
function answered(out: string): string[] {
  const after = out
    .split(/\nName:\s/)
    .slice(1)
    .join('\n');
  return [...after.matchAll(/Address:\s*([0-9.]+)\s*$/gm)].map((m) => m[1] ?? '');
}

/** Whether a UDP socket listens on `ip`:53 (ss from iproute2). */
function listening(ip: string): boolean {
  return execFileSync('ss', ['-Hlun', 'src', `${ip}:53`], { encoding: 'utf8' }).trim() !== '';
}

/** One query from the host to the network's server. */
function ask(msg: Buffer, to = gateway): Promise<DnsResponseView | undefined> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const t = setTimeout(() => {
      s.close();
      resolve(undefined);
    }, 2000);
    s.on('message', (m) => {
      clearTimeout(t);
      s.close();
      resolve(parseDnsResponse(m));
    });
    s.send(msg, 53, to);
  });
}

test('a container on a user network gets the gateway as nameserver, the host search domains and ndots:0', async () => {
  const conf = await engine.ok(['run', '--rm', '--network', 'dnsnet', 'busybox', 'cat', '/etc/resolv.conf']);
  expect(conf).toContain(`nameserver ${gateway}\n`);
  expect(conf).toContain('options ndots:0\n');
  expect(conf.match(/^nameserver/gm)).toHaveLength(1);
});

test('--dns on a user network, like docker: the container keeps the embedded DNS, which forwards its unknown names to its own servers', async () => {
  // The container's own nameserver: answers mine.example, and records what it is asked.
  const own = createSocket('udp4');
  const ownSeen: string[] = [];
  own.on('message', (m, r) => {
    const q = parseQuery(m);
    const question = q.questions[0];
    ownSeen.push(question?.name ?? '');
    const known = question?.name === 'mine.example' && question.type === DNS_TYPE.A;
    own.send(
      buildAnswer({
        id: q.id,
        rd: q.rd,
        question,
        rcode: known ? DNS_RCODE.NOERROR : DNS_RCODE.NXDOMAIN,
        addresses: known ? ['192.0.2.66'] : [],
        ttl: 60,
      }),
      r.port,
      r.address,
    );
  });
  await new Promise<void>((res) => own.bind(0, STUB_HOST, () => res()));
  const dns = `${STUB_HOST}:${own.address().port}`;
  try {
    const conf = await engine.ok([
      'run',
      '--rm',
      '--network',
      'dnsnet',
      '--dns',
      dns,
      '--dns-option',
      'ndots:3',
      'busybox',
      'cat',
      '/etc/resolv.conf',
    ]);
    expect(conf).toContain(`nameserver ${gateway}\n`);
    expect(conf).not.toContain(dns);
    expect(conf).toContain('options ndots:3\n');

    const hostBefore = stubSeen.length;
    const script = 'nslookup -type=a mine.example; nslookup -type=a web';
    const r = await engine.cli(['run', '--rm', '--network', 'dnsnet', '--dns', dns, 'busybox', 'sh', '-c', script]);
    const out = r.stdout + r.stderr;
    expect(out).toContain('192.0.2.66'); // from its own server
    expect(out).toContain(webIp); // its peers' names still answer
    expect(ownSeen).toContain('mine.example');
    expect(ownSeen).not.toContain('web');
    expect(stubSeen.slice(hostBefore)).not.toContain('mine.example'); // not the host's resolvers
  } finally {
    own.close();
  }
  // Containers without --dns still go to the host's resolvers.
  const before = stubSeen.length;
  expect(answered((await nslookup('outside.example')).out)).toEqual(['192.0.2.55']);
  expect(stubSeen.slice(before)).toContain('outside.example');
});

test('the default bridge keeps the host resolv.conf', async () => {
  const conf = await engine.ok(['run', '--rm', 'busybox', 'cat', '/etc/resolv.conf']);
  expect(conf).toBe(containerResolvConf(readFileSync('/etc/resolv.conf', 'utf8')));
  expect(conf).not.toContain(gateway);
});

test('containers find each other by name, alias (any case) and short ID', async () => {
  for (const name of ['web', 'WEB', 'webalias', 'web.dnsnet', webId.slice(0, 12)]) {
    const r = await nslookup(name);
    expect({ name, code: r.code, addresses: answered(r.out) }).toEqual({ name, code: 0, addresses: [webIp] });
  }
});

test('a name with a host search domain appended still finds the container', async () => {
  const r = await ask(buildDnsQuery(3, 'WebAlias.Example.Com.'));
  expect(r?.answers.map((a) => a.data)).toEqual([webIp]);
  expect((await ask(buildDnsQuery(4, 'webalias.example.org')))?.rcode).toBe(DNS_RCODE.NXDOMAIN);
});

test('libc in the container resolves the name too (ping by name)', async () => {
  const r = await engine.cli(['run', '--rm', '--network', 'dnsnet', 'busybox', 'ping', '-c1', '-W2', 'webalias']);
  expect(r.stdout).toContain(`(${webIp})`);
  expect(r.code).toBe(0);
});

test('AAAA of a container name is NOERROR without records (clients fall back to A)', async () => {
  const r = await nslookup('web', 'dnsnet', 'aaaa');
  expect(r.out).not.toMatch(/NXDOMAIN|SERVFAIL/);
  expect(answered(r.out)).toEqual([]);
});

test('a container that is not on the network is not found', async () => {
  await engine.ok(['run', '-d', '--name', 'loner', 'busybox', 'sleep', '600']);
  try {
    const r = await nslookup('loner');
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('NXDOMAIN');
    // and the default bridge has no embedded DNS: nothing there resolves web
    expect((await nslookup('web', 'bridge')).code).not.toBe(0);
  } finally {
    await engine.ok(['rm', '-f', 'loner']);
  }
});

test('a name is gone once its container is removed', async () => {
  await engine.ok(['run', '-d', '--name', 'brief', '--network', 'dnsnet', 'busybox', 'sleep', '600']);
  expect((await ask(buildDnsQuery(1, 'brief')))?.answers).toHaveLength(1);
  await engine.ok(['rm', '-f', 'brief']);
  expect((await ask(buildDnsQuery(2, 'brief')))?.rcode).toBe(DNS_RCODE.NXDOMAIN);
});

test('a DnsSource answers after the containers and stops when removed', async () => {
  const networks = engine.daemon!.engine.networks;
  const asked: string[] = [];
  const remove = networks.addDnsSource((q) => {
    asked.push(q.name);
    if (q.networkName !== 'dnsnet') return undefined;
    if (q.name === 'svc-x') return ['10.99.0.9'];
    if (q.name === 'web') return ['10.99.0.10']; // never asked: the container's name comes first
    return undefined;
  });
  try {
    const r = await nslookup('svc-x');
    expect(answered(r.out)).toEqual(['10.99.0.9']);
    expect(answered((await nslookup('web')).out)).toEqual([webIp]);
    expect(asked).not.toContain('web');
  } finally {
    remove();
  }
  const gone = await nslookup('svc-x');
  expect(gone.code).not.toBe(0);
  expect(gone.out).toContain('NXDOMAIN');
});

test('unknown names are forwarded to the upstream nameservers', async () => {
  const before = stubSeen.length;
  const r = await nslookup('outside.example');
  expect(answered(r.out)).toEqual(['192.0.2.55']);
  expect(stubSeen.slice(before)).toContain('outside.example');
  // container names never leave the host
  expect(stubSeen).not.toContain('web');
});

test('an --internal network resolves its containers but forwards nothing', async () => {
  await engine.ok(['network', 'create', '--internal', 'intnet']);
  try {
    const before = stubSeen.length;
    const r = await nslookup('outside.example', 'intnet');
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('NXDOMAIN');
    expect(stubSeen.length).toBe(before);
    await engine.ok(['run', '-d', '--name', 'inside', '--network', 'intnet', 'busybox', 'sleep', '600']);
    const ip = JSON.parse(await engine.ok(['inspect', 'inside']))[0].NetworkSettings.Networks.intnet.IPAddress;
    expect(answered((await nslookup('inside', 'intnet')).out)).toEqual([ip]);
  } finally {
    await engine.cli(['rm', '-f', 'inside']);
    await engine.ok(['network', 'rm', 'intnet']);
  }
});

test('a malformed packet does not hurt the server: FORMERR or silence, and the next query is answered', async () => {
  const sock = createSocket('udp4');
  for (const junk of [Buffer.from([1, 2, 3]), Buffer.from('garbage that is not dns at all'), Buffer.alloc(0)]) {
    await new Promise<void>((res) => sock.send(junk, 53, gateway, () => res()));
  }
  sock.close();
  const bad = Buffer.from([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 97]);
  expect((await ask(bad))?.rcode).toBe(DNS_RCODE.FORMERR);
  const r = await ask(buildDnsQuery(77, 'web'));
  expect(r?.id).toBe(77);
  expect(r?.answers.map((a) => a.data)).toEqual([webIp]);
  expect(answered((await nslookup('webalias')).out)).toEqual([webIp]);
});

test('network connect: the container sees the names of both networks, and is found on the second by its alias', async () => {
  await engine.ok(['network', 'create', 'dnsnet2']);
  await engine.ok(['run', '-d', '--name', 'db', '--network', 'dnsnet2', 'busybox', 'sleep', '600']);
  const networks = engine.daemon!.engine.networks;
  try {
    const ep = await networks.connect!('dnsnet2', webId, { aliases: ['cache'] });
    const dbIp = JSON.parse(await engine.ok(['inspect', 'db']))[0].NetworkSettings.Networks.dnsnet2.IPAddress;
    // web asks its own network's server (on dnsnet's gateway) for db, which is on dnsnet2 only
    const fromWeb = await engine.cli(['exec', 'web', 'nslookup', 'db']);
    expect(answered(fromWeb.stdout)).toEqual([dbIp]);
    expect(answered((await nslookup('cache', 'dnsnet2')).out)).toEqual([ep.ipAddress]);
    // a container on dnsnet only still does not see db
    expect((await nslookup('db')).code).not.toBe(0);
    // and db, on dnsnet2 only, is refused by dnsnet's server
    const refused = await engine.cli(['exec', 'db', 'nslookup', 'web', gateway]);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toContain('REFUSED');
    await networks.disconnect!('dnsnet2', webId);
    expect((await nslookup('cache', 'dnsnet2')).code).not.toBe(0);
  } finally {
    await engine.ok(['rm', '-f', 'db']);
    await engine.ok(['network', 'rm', 'dnsnet2']);
  }
});

test('the server comes back with the network after a daemon restart, and goes with network rm', async () => {
  const port = stub.address().port;
  await engine.ok(['kill', 'web']); // sleep as PID 1 ignores SIGTERM: no grace period to wait out
  await engine.stop();
  expect(await ask(buildDnsQuery(5, 'web'))).toBeUndefined();
  await engine.start(dnsOptions(port));
  await engine.ok(['start', 'web']);
  const ip = JSON.parse(await engine.ok(['inspect', 'web']))[0].NetworkSettings.Networks.dnsnet.IPAddress;
  expect(answered((await nslookup('webalias')).out)).toEqual([ip]);
  await engine.ok(['rm', '-f', 'web']);
  await engine.ok(['network', 'create', 'dnsnet3']);
  const gw3 = JSON.parse(await engine.ok(['network', 'inspect', 'dnsnet3']))[0].IPAM.Config[0].Gateway;
  expect((await ask(buildDnsQuery(6, 'nothing-here'), gw3))?.rcode).toBe(DNS_RCODE.NXDOMAIN);
  expect(listening(gw3)).toBe(true);
  await engine.ok(['network', 'rm', 'dnsnet3']);
  expect(listening(gw3)).toBe(false);
});
