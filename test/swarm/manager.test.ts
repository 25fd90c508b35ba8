// A manager node for real: Raft (one voter, WAL on disk), the store, CA, dispatcher and the
// leader's loops, served over gRPC with mutual TLS; a second node joins with the worker token.
// Agents run tasks through a test-double executor (the engine executor has its own test).
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import {
  channelCredentials,
  channelOptions,
  InvalidJoinTokenError,
  requestNodeCertificate,
  swarmServices,
  SwarmManager,
  TaskState,
  type Node,
  type Task,
} from '@flotilla/manager';
import { raftService, type RaftServiceClient } from '@flotilla/raft';
import { Agent, type Executor } from '@flotilla/worker';

jest.setTimeout(60_000);

const description = (h: string): Node['Description'] => ({
  Hostname: h,
  Platform: { Architecture: 'x86_64', OS: 'linux' },
  Resources: { NanoCPUs: 2e9, MemoryBytes: 2 ** 32 },
  Engine: { EngineVersion: 'test' },
});

async function freePorts(n: number): Promise<number[]> {
  // Two consecutive free ports (cluster listener, Raft on port + 1).
  for (;;) {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const p = (s.address() as net.AddressInfo).port;
    s.close();
    const ok = await Promise.all(
      Array.from(
        { length: n },
        (_, i) =>
          new Promise<boolean>((r) => {
            const t = net.createServer().once('error', () => r(false));
            t.listen(p + i, '127.0.0.1', () => t.close(() => r(true)));
          }),
      ),
    );
    if (ok.every(Boolean)) return Array.from({ length: n }, (_, i) => p + i);
  }
}

const executor = (host: string): Executor => ({
  describe: async () => description(host),
  controller: (t: Task) => {
    let exit: (() => void) | null = null;
    return {
      prepare: async () => undefined,
      start: async () => ({ containerId: `c-${t.ID}` }),
      wait: () => new Promise((r) => (exit = () => r({ exitCode: 0 }))),
      shutdown: async () => exit?.(),
      remove: async () => undefined,
    };
  },
});

async function until(cond: () => boolean, what: string, ms = 15_000) {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('swarm manager', () => {
  let dir: string;
  let mgr: SwarmManager | null = null;
  const agents: Agent[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-mgr-'));
  });
  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    await mgr?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('init, join a worker, run replicas on both, refuse bad tokens, survive a restart', async () => {
    const [port] = await freePorts(2);
    const addr = `127.0.0.1:${port}`;
    mgr = await SwarmManager.init({
      dir: join(dir, 'swarm'),
      listenAddr: addr,
      advertiseAddr: addr,
      description: description('mgr'),
      heartbeatPeriodMs: 300,
    });
    expect(mgr.isLeader).toBe(true);
    const workerToken = mgr.cluster.joinToken('worker');
    expect(workerToken).toMatch(/^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/);
    expect(mgr.cluster.joinToken('manager')).not.toBe(workerToken);

    // The manager node's own agent talks to its manager over mutual TLS, like a remote worker.
    const local = new Agent({
      managers: [addr],
      credentials: channelCredentials(mgr.tls),
      serverName: 'swarm-node',
      executor: executor('mgr'),
    });
    agents.push(local);
    local.start();

    const joined = await requestNodeCertificate({
      managerAddr: addr,
      token: workerToken,
      hostname: 'worker1',
      advertiseAddr: '127.0.0.1:0',
      description: description('worker1'),
    });
    expect(joined.role).toBe('worker');
    const w = new Agent({
      managers: [addr],
      credentials: channelCredentials(joined.tls),
      serverName: 'swarm-node',
      executor: executor('worker1'),
    });
    agents.push(w);
    w.start();
    await until(
      () => mgr!.store.state.list('nodes').filter((n) => n.Status.State === 'ready').length === 2,
      'two ready nodes',
    );

    await expect(
      requestNodeCertificate({
        managerAddr: addr,
        token: workerToken.slice(0, -3) + 'zzz',
        hostname: 'x',
        advertiseAddr: '',
        description: description('x'),
      }),
    ).rejects.toThrow(InvalidJoinTokenError);
    const other = await SwarmManager.init({
      dir: join(dir, 'other'),
      listenAddr: '127.0.0.1:0',
      advertiseAddr: '127.0.0.1:0',
      description: description('o'),
    });
    const foreign = other.cluster.joinToken('worker');
    await other.stop();
    await expect(
      requestNodeCertificate({
        managerAddr: addr,
        token: foreign,
        hostname: 'x',
        advertiseAddr: '',
        description: description('x'),
      }),
    ).rejects.toThrow(/not the swarm this token belongs to/);
    await mgr.cluster.rotateJoinToken('worker');
    await expect(
      requestNodeCertificate({
        managerAddr: addr,
        token: workerToken,
        hostname: 'x',
        advertiseAddr: '',
        description: description('x'),
      }),
    ).rejects.toThrow(/rotated/);

    // The role in the certificate is enforced: a worker's cannot join Raft membership, nor send
    // Raft messages, nor (further down) anything in the worker's name but its own session.
    expect(joined.nodeId).not.toBe(mgr.nodeId);
    const workerCreds = channelCredentials(joined.tls);
    const membership = new (swarmServices().RaftMembership)(
      addr,
      workerCreds,
      channelOptions,
    ) as unknown as grpc.Client & Record<string, (req: object, cb: (e: grpc.ServiceError | null) => void) => void>;
    const joinErr = await new Promise<grpc.ServiceError | null>((r) => membership.Join!({ addr: '127.0.0.1:1' }, r));
    membership.close();
    expect(joinErr?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(joinErr?.details).toBe('only managers may change Raft membership');
    const Raft = raftService();
    const raft = new Raft(addr, workerCreds, channelOptions) as unknown as RaftServiceClient;
    const raftErr = await new Promise<grpc.ServiceError | null>((r) => raft.Stream(r).end());
    raft.close();
    expect(raftErr).not.toBeNull();
    expect(raftErr!.details).toContain('only managers may send Raft messages');
    expect(mgr.raftStatus().members.map((m) => m.id)).toEqual([mgr.nodeId]);

    await mgr.services.create({
      Name: 'web',
      TaskTemplate: { ContainerSpec: { Image: 'app' } },
      Mode: { Replicated: { Replicas: 4 } },
    });
    const running = () =>
      mgr!.store.state
        .list('tasks')
        .filter((t) => t.Status.State === TaskState.RUNNING && t.DesiredState === TaskState.RUNNING);
    await until(() => running().length === 4, '4 running');
    expect(new Set(running().map((t) => t.NodeID)).size).toBe(2);

    // Restart the manager from its data directory: the service comes back from the Raft log.
    await mgr.stop();
    mgr = null;
    mgr = await SwarmManager.open({ dir: join(dir, 'swarm'), heartbeatPeriodMs: 300 });
    expect(mgr).not.toBeNull();
    await until(() => mgr!.isLeader, 'leader again');
    expect(mgr!.services.inspect('web').Spec.Mode).toEqual({ Replicated: { Replicas: 4 } });
    await until(
      () => running().length === 4 && mgr!.store.state.list('tasks').length === 4,
      '4 running after restart, none duplicated',
    );
  });
});
