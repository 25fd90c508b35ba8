// Root CA rotation on machines (issue 10): 1 manager + 2 workers running a service, plus a spare
// machine that leaves first. `flotilla swarm ca --rotate`, then the unmodified docker CLI's
// `docker swarm ca --rotate`: each waits until done; every node's certificate then chains to the
// new root and it trusts that root alone, the join tokens carry the new digest (same secrets), no
// task was restarted (same task IDs, same container start times), and the spare joins with the
// new token while the old one is refused.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster, HTTPD_SCRIPT, run, waitFor, type ApiTask, type Machine } from './cluster';

jest.setTimeout(300_000);

const IMAGE = 'caweb:1';
const SERVICE = 'web';
let c: Cluster;
let spare: Machine;
/** The worker token from before the first rotation. */
let firstToken = '';

interface SwarmJson {
  JoinTokens: { Worker: string; Manager: string };
  TLSInfo: { TrustRoot: string; CertIssuerSubject: string; CertIssuerPublicKey: string };
  RootRotationInProgress: boolean;
}
interface NodeJson {
  ID: string;
  Description: { TLSInfo?: SwarmJson['TLSInfo'] };
}

const swarm = () => c.api<SwarmJson>(c.manager, 'GET', '/swarm');
const certsOf = (m: Machine) => {
  const dir = join(m.dataRoot, 'swarm', 'certs');
  return { chain: readFileSync(join(dir, 'node.crt'), 'utf8'), trust: readFileSync(join(dir, 'ca.crt'), 'utf8') };
};
const pems = (text: string) => text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];

/** The running tasks with their containers' start times, read on the machines themselves. */
async function runningWithStarts(): Promise<Map<string, string>> {
  const tasks: ApiTask[] = await c.running(SERVICE);
  const starts = new Map<string, string>();
  for (const t of tasks) {
    const m = c.machineOf(t.NodeID)!;
    const k = await c.api<{ State: { StartedAt: string } }>(
      m,
      'GET',
      `/containers/${t.Status.ContainerStatus!.ContainerID}/json`,
    );
    starts.set(t.ID, k.State.StartedAt);
  }
  return starts;
}

/** After a rotation: every member's certificate is from `root`, it trusts `root` alone, and reports so. */
async function expectAllOn(root: string, members: Machine[]): Promise<void> {
  const rootCert = new X509Certificate(root);
  for (const m of members) {
    await waitFor(`${m.name} to trust the new root alone`, async () => certsOf(m).trust.trim() === root.trim(), 20_000);
    const leaf = new X509Certificate(pems(certsOf(m).chain)[0]!);
    expect(leaf.issuer).toBe(rootCert.subject);
    expect(leaf.verify(rootCert.publicKey)).toBe(true);
  }
  // Each node reports what it uses (a node that just joined does within a few seconds).
  const s = await swarm();
  const nodes = await waitFor(
    'every node to report the new root in its TLSInfo',
    async () => {
      const list = await c.api<NodeJson[]>(c.manager, 'GET', '/nodes');
      return list.every((n) => JSON.stringify(n.Description.TLSInfo) === JSON.stringify(s.TLSInfo)) && list;
    },
    10_000,
  );
  expect(nodes).toHaveLength(members.length);
}

const dockerEnv = (m: Machine) => ({ ...process.env, DOCKER_HOST: `unix://${m.socket}` });

beforeAll(async () => {
  c = await Cluster.create({ roles: ['manager', 'worker', 'worker', 'worker'], prefix: 'ca' });
  spare = c.machines[3]!;
  // The spare leaves and is removed: it comes back with the new token at the end.
  await c.ok(spare, ['swarm', 'leave']);
  await c.ok(c.manager, ['node', 'rm', '--force', spare.nodeId]);
  await c.loadImage(IMAGE);
  await c.ok(c.manager, ['service', 'create', '--name', SERVICE, '--replicas', '3', IMAGE, 'sh', '-c', HTTPD_SCRIPT]);
  await waitFor('3 replicas running', async () => (await c.running(SERVICE)).length === 3, 60_000);
}, 240_000);

afterAll(async () => {
  await c?.destroy();
});

test('swarm ca prints the root; docker swarm ca prints the same', async () => {
  const s = await swarm();
  expect(s.RootRotationInProgress).toBe(false);
  const mine = await c.ok(c.manager, ['swarm', 'ca']);
  expect(mine.trim()).toBe(s.TLSInfo.TrustRoot.trim());
  expect(certsOf(c.manager).trust.trim()).toBe(mine.trim());
  const d = await run('docker', ['swarm', 'ca'], { env: dockerEnv(c.manager) });
  expect(d).toMatchObject({ code: 0 });
  expect(d.out.trim()).toBe(mine.trim());
  // docker's own refusal without --rotate
  const bad = await c.fl(c.manager, ['swarm', 'ca', '--cert-expiry', '48h']);
  expect(bad.code).toBe(1);
  expect(bad.err).toContain('`--cert-expiry` flag requires the `--rotate` flag to update the CA');
});

const members = () => c.machines.slice(0, 3);

async function rotateWith(label: string, rotate: () => Promise<{ code: number; out: string; err: string }>) {
  const before = await swarm();
  const tasks = await runningWithStarts();
  expect(tasks.size).toBe(3);
  const t0 = Date.now();
  const r = await c.withLogs(members(), rotate());
  const ms = Date.now() - t0;
  expect(r).toMatchObject({ code: 0 });
  const after = await swarm();
  expect(after.RootRotationInProgress).toBe(false);
  const root = after.TLSInfo.TrustRoot;
  expect(root).not.toBe(before.TLSInfo.TrustRoot);
  expect(r.out.trim().endsWith(root.trim())).toBe(true);
  await expectAllOn(root, members());
  // new digest, same secrets
  for (const role of ['Worker', 'Manager'] as const) {
    const [oldDigest, oldSecret] = before.JoinTokens[role].split('-').slice(2);
    const [newDigest, newSecret] = after.JoinTokens[role].split('-').slice(2);
    expect(newDigest).not.toBe(oldDigest);
    expect(newSecret).toBe(oldSecret);
  }
  // nothing restarted: the same tasks run in the same containers, started when they were
  expect(await runningWithStarts()).toEqual(tasks);
  process.stdout.write(`${label}: rotation done in ${ms} ms\n`);
  return { before, after, out: r.out };
}

test('flotilla swarm ca --rotate: new root, every node moved, tokens changed, no task restarted', async () => {
  firstToken = (await swarm()).JoinTokens.Worker;
  const { out } = await rotateWith('flotilla', () => c.fl(c.manager, ['swarm', 'ca', '--rotate'], 120_000));
  expect(out).toMatch(/desired root digest: sha256:[0-9a-f]{64}/);
  expect(out).toContain('rotated TLS certificates:  [==================================================>] 3/3 nodes');
  expect(out).toContain('rotated CA certificates:   [==================================================>] 3/3 nodes');
});

test('docker swarm ca --rotate (the unmodified docker CLI) converges the same way', async () => {
  await rotateWith('docker', () =>
    run('docker', ['swarm', 'ca', '--rotate'], { env: dockerEnv(c.manager), timeoutMs: 120_000 }),
  );
});

test('the manager killed mid-rotation: after its restart it resumes the rotation from the store and completes it', async () => {
  const before = await swarm();
  const r = await c.fl(c.manager, ['swarm', 'ca', '--rotate', '-d']);
  expect(r).toMatchObject({ code: 0, out: '' });
  const rotating = await swarm();
  expect(rotating.RootRotationInProgress).toBe(true);
  // Still the old root while rotating: the join tokens keep their digest until it is done.
  expect(rotating.JoinTokens.Worker).toBe(before.JoinTokens.Worker);
  await c.killDaemon(c.manager);
  await c.startDaemon(c.manager);
  const done = await c.withLogs(
    members(),
    waitFor(
      'the rotation to complete after the restart',
      async () => {
        const s = await swarm();
        return !s.RootRotationInProgress && s;
      },
      60_000,
      200,
    ),
  );
  expect(done.TLSInfo.TrustRoot).not.toBe(before.TLSInfo.TrustRoot);
  expect(done.JoinTokens.Worker).not.toBe(before.JoinTokens.Worker);
  await expectAllOn(done.TLSInfo.TrustRoot, members());
  await waitFor('3 replicas running', async () => (await c.running(SERVICE)).length === 3, 60_000);
});

test('a node joins with the new token; the old token is refused', async () => {
  const stale = firstToken;
  expect(stale).toMatch(/^SWMTKN-1-/);
  const refused = await c.fl(spare, [
    'swarm',
    'join',
    '--token',
    stale,
    '--advertise-addr',
    spare.ip,
    `${c.manager.ip}:2377`,
  ]);
  expect(refused.code).not.toBe(0);
  expect(refused.err).toMatch(/CA digest|invalid join token/);
  const token = await c.joinToken('worker');
  await c.ok(spare, ['swarm', 'join', '--token', token, '--advertise-addr', spare.ip, `${c.manager.ip}:2377`]);
  await c.waitAllReady();
  const root = (await swarm()).TLSInfo.TrustRoot;
  await expectAllOn(root, c.machines);
});
