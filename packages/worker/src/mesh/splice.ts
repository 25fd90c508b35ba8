// The data path of one proxied connection: connect to a backend (the next one on failure), then
// move bytes both ways. Hot path: a few listeners per socket and no logging; errors only
// close sockets, they never reach the process.
import net from 'node:net';
import type { BackendPool, BackendSlot } from './pool';
import type { TunnelDialer } from './tunnel-client';

function noop(): void {}

/**
 * Copies `from` into `to` with backpressure (pause when `to` is full, resume on drain) and
 * forwards a half-close: when `from` ends, `to` ends its write side, the other way stays open.
 * Cheaper than stream.pipe, which adds seven listeners per pair.
 */
function forward(from: net.Socket, to: net.Socket): void {
  from.on('data', (chunk: Buffer) => {
    if (!to.write(chunk)) from.pause();
  });
  to.on('drain', () => from.resume());
  from.on('end', () => to.end());
}

/** Once one side is gone for an error, the other is reset too, as a kernel L4 balancer would. */
function bind(client: net.Socket, upstream: net.Socket): void {
  client.on('close', (hadError: boolean) => {
    if (hadError) upstream.resetAndDestroy();
    else if (upstream.writableFinished === false && upstream.readableEnded === false) upstream.destroy();
  });
  upstream.on('close', (hadError: boolean) => {
    if (hadError) client.resetAndDestroy();
    else if (client.writableFinished === false && client.readableEnded === false) client.destroy();
  });
}

/**
 * Moves bytes both ways between two connected sockets until both are done; an error on one
 * resets the other. Both must have been created with allowHalfOpen.
 */
export function joinSockets(a: net.Socket, b: net.Socket): void {
  forward(a, b);
  forward(b, a);
  bind(a, b);
  a.resume();
  b.resume();
}

/** A replica that neither accepts nor refuses (its network is gone) is given up after this long. */
export const CONNECT_TIMEOUT_MS = 3000;

/** A task on another node: through a mutual-TLS tunnel to its node, which connects to it there. */
function attemptRemote(
  client: net.Socket,
  pool: BackendPool,
  tried: BackendSlot[] | undefined,
  dialer: TunnelDialer | undefined,
  slot: BackendSlot,
): void {
  const failed = () => {
    slot.active--;
    slot.failed++;
    if (client.destroyed) return;
    const next = tried ?? [];
    next.push(slot);
    attempt(client, pool, next, dialer);
  };
  if (!dialer) {
    failed();
    return;
  }
  dialer.dial(slot.backend, CONNECT_TIMEOUT_MS, (stream) => {
    if (!stream) {
      failed();
      return;
    }
    if (client.destroyed) {
      slot.active--;
      stream.reset();
      return;
    }
    slot.total++;
    stream.attach(client, () => slot.active--);
  });
}

function attempt(
  client: net.Socket,
  pool: BackendPool,
  tried: BackendSlot[] | undefined,
  dialer: TunnelDialer | undefined,
  first?: BackendSlot,
): void {
  const slot = first ?? pool.pick(tried);
  if (!slot) {
    pool.rejected++;
    // No replica left: the client sees its connection reset rather than a silent hang.
    client.resetAndDestroy();
    return;
  }
  slot.active++;
  const b = slot.backend;
  if (b.tunnel) {
    attemptRemote(client, pool, tried, dialer, slot);
    return;
  }
  const upstream = net.connect({ host: b.address, port: b.port, allowHalfOpen: true, noDelay: true });
  let connected = false;
  upstream.setTimeout(CONNECT_TIMEOUT_MS, () => {
    if (!connected) upstream.destroy(new Error('connect timeout'));
  });
  upstream.on('error', () => {
    if (connected) return; // 'close' follows with hadError and resets the client
    slot.active--;
    slot.failed++;
    upstream.destroy();
    if (client.destroyed) return;
    const next = tried ?? [];
    next.push(slot);
    attempt(client, pool, next, dialer);
  });
  upstream.once('connect', () => {
    if (client.destroyed) {
      slot.active--;
      upstream.destroy();
      return;
    }
    connected = true;
    upstream.setTimeout(0);
    slot.total++;
    upstream.once('close', () => slot.active--);
    forward(client, upstream);
    forward(upstream, client);
    bind(client, upstream);
    client.resume();
  });
}

/**
 * Takes over a client socket accepted with pauseOnConnect (no byte read yet, so a failed connect
 * can move on to the next replica without losing data) and allowHalfOpen. `first` and `tried`
 * continue a choice the fast path made (it hands remote backends over to this path).
 */
export function proxyConnection(
  client: net.Socket,
  pool: BackendPool,
  dialer?: TunnelDialer,
  first?: BackendSlot,
  tried?: BackendSlot[],
): void {
  client.on('error', noop);
  client.setNoDelay(true);
  attempt(client, pool, tried, dialer, first);
}
