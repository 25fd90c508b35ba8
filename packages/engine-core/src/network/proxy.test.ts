import dgram from 'node:dgram';
import net from 'node:net';
import { once } from 'node:events';
import { ConflictError } from '../errors';
import { rootLogger } from '../log';
import { type Proxy, startTcpProxy, startUdpProxy } from './proxy';

const log = rootLogger.child({ component: 'proxy-test' });
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** An upstream that echoes what it gets and half-closes after the client does. */
async function echoServer(): Promise<number> {
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    s.on('error', () => undefined);
    s.pipe(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as net.AddressInfo).port;
}

async function proxyTo(port: number, hostIp = '127.0.0.1', hostPort = 0): Promise<Proxy> {
  const p = await startTcpProxy(hostIp, hostPort, { host: '127.0.0.1', port }, log);
  cleanups.push(() => p.close());
  return p;
}

function roundTrip(port: number, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const c = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const got: Buffer[] = [];
    c.on('data', (b: Buffer) => got.push(b));
    c.on('error', reject);
    c.on('end', () => {
      c.end();
      resolve(Buffer.concat(got));
    });
    c.end(payload); // half-close: the echo must still come back
  });
}

test('TCP: bytes and a half-close pass through both ways; the picked port is reported', async () => {
  const proxy = await proxyTo(await echoServer());
  expect(proxy.hostPort).toBeGreaterThan(0);
  expect((await roundTrip(proxy.hostPort, Buffer.from('hello'))).toString()).toBe('hello');
  const big = Buffer.alloc(32 << 20, 7);
  const t0 = process.hrtime.bigint();
  const back = await roundTrip(proxy.hostPort, big);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  expect(back.equals(big)).toBe(true);
  console.log(
    `userland proxy echo of 32 MiB: ${ms.toFixed(0)} ms (${((2 * 32) / (ms / 1000)).toFixed(0)} MiB/s both directions)`,
  );
});

test('TCP: a port in use gives docker\'s "port is already allocated"', async () => {
  const first = await proxyTo(await echoServer(), '');
  const err = await startTcpProxy('', first.hostPort, { host: '127.0.0.1', port: 1 }, log).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ConflictError);
  expect((err as Error).message).toBe(`Bind for 0.0.0.0:${first.hostPort} failed: port is already allocated`);
  const err2 = await startTcpProxy('127.0.0.1', first.hostPort, { host: '127.0.0.1', port: 1 }, log).catch(
    (e: unknown) => e,
  );
  expect((err2 as Error).message).toBe(`Bind for 127.0.0.1:${first.hostPort} failed: port is already allocated`);
});

test('TCP: an upstream that refuses closes the client, and the proxy keeps serving', async () => {
  const closed = net.createServer();
  closed.listen(0, '127.0.0.1');
  await once(closed, 'listening');
  const deadPort = (closed.address() as net.AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const proxy = await proxyTo(deadPort);
  for (let i = 0; i < 3; i++) {
    const c = net.connect(proxy.hostPort, '127.0.0.1');
    let data = 0;
    c.on('data', (b: Buffer) => (data += b.length));
    c.on('error', () => undefined); // a reset is as good as a close here
    const gone = new Promise((r) => c.once('close', r)); // events.once would reject on the reset
    c.write('x');
    await gone;
    expect(data).toBe(0);
  }
  expect((await roundTrip((await proxyTo(await echoServer())).hostPort, Buffer.from('ok'))).toString()).toBe('ok');
});

test('TCP: close ends open connections and frees the port', async () => {
  const proxy = await startTcpProxy('127.0.0.1', 0, { host: '127.0.0.1', port: await echoServer() }, log);
  const c = net.connect(proxy.hostPort, '127.0.0.1');
  c.on('error', () => undefined);
  await once(c, 'connect');
  await proxy.close();
  await once(c, 'close');
  const again = await proxyTo(await echoServer(), '127.0.0.1', proxy.hostPort);
  expect(again.hostPort).toBe(proxy.hostPort);
});

test('UDP: datagrams go to the target and replies come back to the sender', async () => {
  const upstream = dgram.createSocket('udp4');
  upstream.on('message', (m, r) => upstream.send(Buffer.concat([Buffer.from('re:'), m]), r.port, r.address));
  upstream.bind(0, '127.0.0.1');
  await once(upstream, 'listening');
  cleanups.push(() => new Promise<void>((r) => upstream.close(() => r())));
  const proxy = await startUdpProxy('127.0.0.1', 0, { host: '127.0.0.1', port: upstream.address().port }, log);
  cleanups.push(() => proxy.close());
  const client = dgram.createSocket('udp4');
  cleanups.push(() => new Promise<void>((r) => client.close(() => r())));
  client.send('ping', proxy.hostPort, '127.0.0.1');
  const [msg] = (await once(client, 'message')) as [Buffer];
  expect(msg.toString()).toBe('re:ping');
});
