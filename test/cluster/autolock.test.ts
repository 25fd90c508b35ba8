// Autolock across 3 managers on machines (issue 10, "Proof"): `swarm update --autolock=true` makes
// every manager wrap its keys; a store write leaves no plaintext on any manager's disk; a manager
// restarted is locked until unlocked; a key rotated while one manager was down: that manager still
// opens with the old key (its keys were wrapped with it), catches up, re-wraps, and from then on
// the new key opens it, as on the managers that saw the rotation.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { api, BIN, Cluster, run, waitFor, type Machine } from './cluster';
import { filesHolding } from '../host-traces';

jest.setTimeout(180_000);

const MARKER = `autolock-marker-${process.pid}-91d2`;
const LOCKED = 'Swarm is encrypted and needs to be unlocked before it can be used.';
let c: Cluster;

const keyIn = (out: string) => /\n {4}(SWMKEY-1-[A-Za-z0-9+/]{43})\n/.exec(out)?.[1];
const plainKey = (m: Machine) => existsSync(join(m.dataRoot, 'swarm', 'certs', 'node.key'));
const state = async (m: Machine) => (await c.ok(m, ['info', '--format', '{{.Swarm.LocalNodeState}}'])).trim();

async function restart(m: Machine): Promise<void> {
  await c.killDaemon(m);
  await c.startDaemon(m);
  await waitFor(`${m.name} to answer`, async () => (await c.fl(m, ['version'])).code === 0, 20_000);
}

/** `swarm unlock` on `m` with the key on stdin, as a user pipes it. */
function runWithInput(m: Machine, key: string) {
  return run(process.execPath, [BIN, 'swarm', 'unlock'], {
    env: { ...process.env, FLOTILLA_HOST: `unix://${m.socket}`, FLOTILLA_MACHINE_STORAGE: c.storage },
    input: `${key}\n`,
    timeoutMs: 30_000,
  });
}

beforeAll(async () => {
  c = await Cluster.create({ roles: ['manager', 'manager', 'manager'], prefix: 'al' });
}, 300_000);

afterAll(async () => {
  await c?.destroy();
});

test('autolock on 3 managers: wrapped everywhere, locked after restart, rotation while one is down', async () => {
  const [m0, m1, m2] = c.managers as [Machine, Machine, Machine];
  const on = await c.ok(m0, ['swarm', 'update', '--autolock=true']);
  const key1 = keyIn(on)!;
  expect(key1).toBeDefined();
  await waitFor('every manager to wrap its keys', async () => c.managers.every((m) => !plainKey(m)), 15_000);
  await c.ok(m1, ['service', 'create', '--name', 'enc', '--replicas', '0', '--label', `pw=${MARKER}`, 'busybox']);
  await waitFor(
    'the service on every manager',
    async () =>
      (await Promise.all(c.managers.map((m) => c.fl(m, ['service', 'inspect', 'enc'])))).every((r) =>
        r.out.includes(MARKER),
      ),
    15_000,
  );
  for (const m of c.managers) {
    expect(filesHolding(m.dataRoot, MARKER)).toEqual([]);
    expect(filesHolding(m.dataRoot, key1)).toEqual([]);
  }

  // A follower restarted: locked, refuses a wrong key, opens with the key, rejoins.
  await restart(m1);
  expect(await state(m1)).toBe('locked');
  const r = await c.fl(m1, ['node', 'ls']);
  expect(r.code).toBe(1);
  expect(r.err).toContain(LOCKED);
  expect((await runWithInput(m1, 'SWMKEY-1-' + 'B'.repeat(43))).err).toContain('invalid key provided');
  expect((await runWithInput(m1, key1)).code).toBe(0);
  await waitFor('m1 to serve', async () => (await c.fl(m1, ['node', 'ls'])).code === 0, 20_000);

  // Rotation while m2 is down.
  await c.killDaemon(m2);
  const rotated = await c.ok(m0, ['swarm', 'unlock-key', '--rotate']);
  const key2 = keyIn(rotated)!;
  expect(key2).not.toBe(key1);
  await c.startDaemon(m2);
  await waitFor('m2 to answer', async () => (await c.fl(m2, ['version'])).code === 0, 20_000);
  expect(await state(m2)).toBe('locked');
  // Its keys are still wrapped with the old key: the new one does not open them yet.
  expect((await runWithInput(m2, key2)).err).toContain('invalid key provided');
  expect((await runWithInput(m2, key1)).code).toBe(0);
  await waitFor(
    'm2 to catch up',
    async () => (await c.fl(m2, ['swarm', 'unlock-key', '-q'])).out.trim() === key2,
    20_000,
  );
  // Caught up and re-wrapped: after another restart the new key opens it, the old one no longer.
  await restart(m2);
  expect((await runWithInput(m2, key1)).err).toContain('invalid key provided');
  expect((await runWithInput(m2, key2)).code).toBe(0);
  // m1 saw the rotation: the new key opens it too.
  await restart(m1);
  expect((await runWithInput(m1, key2)).code).toBe(0);
  await waitFor(
    'all three managers reachable again',
    async () => {
      const nodes = await api<{ ManagerStatus?: { Reachability: string } }[]>(m0.socket, 'GET', '/nodes');
      return nodes.filter((n) => n.ManagerStatus?.Reachability === 'reachable').length === 3;
    },
    30_000,
  );
  for (const m of c.managers) expect(filesHolding(join(m.dataRoot, 'swarm'), MARKER)).toEqual([]);
});
