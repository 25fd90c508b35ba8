// Several managers (Raft with three voters) through the real CLI against three real daemon
// processes on loopback, each with its own data root, socket and cluster port: joining with the
// manager token, a service created on a follower seen everywhere, kill -9 of the leader (a
// survivor takes writes again within 2 s), no quorum (docker's text, then recovery), demote and
// promote, and `swarm init --force-new-cluster` keeping the services.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TestEngine, eventually, freePort } from '../engine/harness';

jest.setTimeout(300_000);

const BIN = join(__dirname, '../../packages/stack-cli/bin/flotilla');
const DIST = join(__dirname, '../../packages/stack-cli/dist/cli/main.js');
const NO_LEADER =
  "The swarm does not have a leader. It's possible that too few managers are online. Make sure more than half of the managers are online.";

class Daemon {
  readonly e: TestEngine;
  proc: ChildProcess | null = null;
  port = 0;
  id = '';
  log = '';

  constructor(readonly name: string) {
    this.e = new TestEngine(name);
  }

  get addr(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const p = spawn(process.execPath, [BIN, 'daemon', '--data-root', this.e.dataRoot, '-H', this.e.host], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.proc = p;
    p.stderr!.on('data', (d: Buffer) => (this.log = (this.log + d.toString()).slice(-4000)));
    await eventually(
      async () => (await this.e.cli(['version'])).code === 0,
      20_000,
      `daemon ${this.name} to answer (log: ${this.log})`,
    );
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const p = this.proc;
    this.proc = null;
    return new Promise<void>((r) => {
      if (!p || p.exitCode !== null) return r();
      p.once('exit', () => r());
      p.kill(signal);
    });
  }

  ok(args: string[]): Promise<string> {
    return this.e.ok(args);
  }

  async info(): Promise<{
    Swarm: {
      NodeID: string;
      ControlAvailable: boolean;
      Managers?: number;
      Nodes?: number;
      RemoteManagers: { NodeID: string; Addr: string }[];
    };
  }> {
    const r = await this.e.api('GET', '/info');
    if (r.status !== 200) throw new Error(`GET /info: ${r.status} ${r.body}`);
    return JSON.parse(r.body) as never;
  }
}

type NodeRow = { ID: string; Status: string; ManagerStatus: string };
const nodeLs = async (d: Daemon): Promise<Map<string, NodeRow>> =>
  new Map(
    (await d.ok(['node', 'ls', '--format', 'json']))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as NodeRow)
      .map((r) => [r.ID.replace(' *', ''), r]),
  );

describe('three managers', () => {
  const ds = [new Daemon('mgr1'), new Daemon('mgr2'), new Daemon('mgr3')];

  beforeAll(async () => {
    if (!existsSync(DIST)) throw new Error('packages/stack-cli/dist is missing: run `npm run build` before the tests');
    for (const d of ds) {
      d.port = await freePort();
      await d.start();
    }
  });

  afterAll(async () => {
    for (const d of ds) await d.kill('SIGKILL');
    // After kill -9 the daemons' containers outlive them (as with dockerd and containerd-shim):
    // cleanup's purge ends them first.
    for (const d of ds) await d.e.cleanup();
  });

  test('join as managers, follower writes, leader failover, quorum loss, demote/promote, force-new-cluster', async () => {
    const [d1, d2, d3] = ds as [Daemon, Daemon, Daemon];
    await d1.ok(['swarm', 'init', '--listen-addr', d1.addr, '--advertise-addr', d1.addr]);
    const token = (await d1.ok(['swarm', 'join-token', '-q', 'manager'])).trim();
    // A cluster port in use is a clear error, and the swarm never hears of the node (Nodes: 3 below).
    const busy = await d2.e.cli([
      'swarm',
      'join',
      '--token',
      token,
      '--listen-addr',
      d1.addr,
      '--advertise-addr',
      d1.addr,
      d1.addr,
    ]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain(`cannot listen on ${d1.addr} for cluster traffic`);
    for (const d of [d2, d3]) {
      expect(
        await d.ok(['swarm', 'join', '--token', token, '--listen-addr', d.addr, '--advertise-addr', d.addr, d1.addr]),
      ).toContain('This node joined a swarm as a manager.');
    }
    for (const d of ds) {
      d.id = (await d.info()).Swarm.NodeID;
      await d.e.importBusybox('web:1');
    }

    // Every manager answers; node ls shows one leader and two reachable managers, all ready.
    for (const d of ds) {
      await eventually(
        async () => {
          const r = [...(await nodeLs(d)).values()];
          return (
            r.every((n) => n.Status === 'Ready') &&
            r
              .map((n) => n.ManagerStatus)
              .sort()
              .join() === 'Leader,Reachable,Reachable'
          );
        },
        20_000,
        `all nodes ready, one leader and two reachable managers, as seen from ${d.name}`,
      ).catch(async (e: Error) => {
        throw new Error(
          `${e.message}\n${await d.ok(['node', 'ls'])}\n${ds.map((x) => `${x.name}: ${x.log}`).join('\n')}`,
        );
      });
      const info = await d.info();
      expect(info.Swarm).toMatchObject({ ControlAvailable: true, Managers: 3, Nodes: 3 });
      expect(info.Swarm.RemoteManagers.map((m) => m.Addr).sort()).toEqual(ds.map((x) => x.addr).sort());
    }

    // A write through a follower is seen on every manager, and the service runs.
    await d3.ok(['service', 'create', '--name', 'web', '--replicas', '3', 'web:1', 'sleep', '600']);
    for (const d of ds) {
      await eventually(
        async () => /web\s+replicated\s+3\/3\s+web:1/.test(await d.ok(['service', 'ls'])),
        30_000,
        `web 3/3 seen from ${d.name}`,
      );
    }

    // kill -9 of the leader: a survivor accepts writes again within 2 s. (Whoever leads now: a
    // loaded machine may have moved leadership since the init.)
    const leaderOf = async (d: Daemon) => {
      const id = [...(await nodeLs(d))].find(([, n]) => n.ManagerStatus === 'Leader')![0];
      return ds.find((x) => x.id === id)!;
    };
    const first = await leaderOf(d2);
    const [survivor, other] = ds.filter((d) => d !== first) as [Daemon, Daemon];
    const t0 = Date.now();
    await first.kill('SIGKILL');
    let elapsed = 0;
    for (let i = 0; ; i++) {
      const body = JSON.stringify({
        Name: `probe${i}`,
        TaskTemplate: { ContainerSpec: { Image: 'web:1' } },
        Mode: { Replicated: { Replicas: 0 } },
      });
      const r = await survivor.e.api('POST', '/services/create', body);
      if (r.status === 201) {
        elapsed = Date.now() - t0;
        break;
      }
      expect([503]).toContain(r.status);
      if (Date.now() - t0 > 10_000) throw new Error(`no write accepted within 10 s of the leader's death: ${r.body}`);
      await new Promise((res) => setTimeout(res, 20));
    }
    process.stdout.write(
      `leader failover: a surviving manager accepted a write ${elapsed} ms after kill -9 of the leader\n`,
    );
    expect(elapsed).toBeLessThan(2000);
    await eventually(
      async () => {
        const r = (await nodeLs(survivor)).get(first.id)!;
        return r.ManagerStatus === 'Unreachable' && r.Status === 'Down';
      },
      15_000,
      'the dead leader shown down and unreachable',
    );
    // The lost replica is replaced on the surviving nodes.
    await eventually(
      async () => /web\s+replicated\s+3\/3/.test(await survivor.ok(['service', 'ls'])),
      30_000,
      'web 3/3 again',
    );

    // Without a quorum writes fail with docker's text (exit 1), and recover when a manager returns.
    const leader = await leaderOf(survivor);
    expect([survivor, other]).toContain(leader);
    const follower = leader === survivor ? other : survivor;
    await leader.kill('SIGKILL');
    const refused = await eventually(
      async () => {
        const r = await follower.e.cli(['service', 'scale', '-d', 'web=2']);
        return r.code === 1 && r.stderr.includes(NO_LEADER) && r;
      },
      15_000,
      'a write refused for want of a leader',
    );
    expect(refused.code).toBe(1);
    await leader.start();
    await eventually(
      async () => (await follower.e.cli(['service', 'scale', '-d', 'web=2'])).code === 0,
      20_000,
      'writes accepted again with the quorum back',
    );
    await first.start();
    for (const d of ds) {
      await eventually(
        async () =>
          [...(await nodeLs(d)).values()].filter((n) => n.ManagerStatus === 'Reachable' || n.ManagerStatus === 'Leader')
            .length === 3,
        20_000,
        `three reachable managers again as seen from ${d.name}`,
      );
    }

    // demote / promote: the node leaves Raft and carries on as a worker, then comes back.
    await eventually(
      async () => [...(await nodeLs(d2)).values()].every((n) => n.Status === 'Ready'),
      20_000,
      'all ready before demoting',
    );
    expect(await d2.ok(['node', 'demote', d3.id])).toContain(`Manager ${d3.id} demoted in the swarm.`);
    await eventually(async () => (await nodeLs(d2)).get(d3.id)!.ManagerStatus === '', 10_000, 'd3 shown as a worker');
    await eventually(async () => (await d3.info()).Swarm.ControlAvailable === false, 20_000, 'd3 no longer a manager');
    expect((await d3.e.cli(['service', 'ls'])).stderr).toContain(
      "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state.",
    );
    expect((await d1.info()).Swarm.Managers).toBe(2);
    expect(await d2.ok(['node', 'demote', d3.id])).toContain(`Node ${d3.id} is already a worker.`);
    const rmManager = await d2.e.cli(['node', 'rm', '--force', d1.id]);
    expect(rmManager.code).toBe(1);
    expect(rmManager.stderr).toContain(
      'is a cluster manager and is a member of the raft cluster. It must be demoted to worker before removal',
    );
    expect(await d2.ok(['node', 'promote', d3.id])).toContain(`Node ${d3.id} promoted to a manager in the swarm.`);
    await eventually(async () => (await d3.info()).Swarm.ControlAvailable === true, 30_000, 'd3 a manager again');
    await eventually(
      async () => ['Reachable', 'Leader'].includes((await nodeLs(d1)).get(d3.id)!.ManagerStatus),
      20_000,
      'd3 reachable',
    );
    expect((await d3.info()).Swarm.Managers).toBe(3);
    expect(await d3.ok(['service', 'ls'])).toMatch(/web\s+replicated/);

    // swarm leave --force on a manager leaves Raft first: the other two keep their quorum. Once
    // demoted, the departed node can be removed, and the machine joins again.
    expect(await d3.ok(['swarm', 'leave', '--force'])).toContain('Node left the swarm.');
    await eventually(async () => (await d1.info()).Swarm.Managers === 2, 10_000, 'two managers left');
    await eventually(
      async () => {
        const n = (await nodeLs(d2)).get(d3.id)!;
        return n.Status === 'Down' && n.ManagerStatus === 'Unreachable';
      },
      15_000,
      'the departed manager shown down and unreachable',
    );
    await d2.ok(['node', 'demote', d3.id]);
    await d2.ok(['node', 'rm', d3.id]);
    expect((await nodeLs(d1)).has(d3.id)).toBe(false);
    await d2.ok(['service', 'create', '--name', 'two-managers', '--replicas', '0', 'web:1']);
    // Back as a worker, then promoted: its certificate (and its listener's) is renewed as a manager's.
    const workerToken = (await d2.ok(['swarm', 'join-token', '-q', 'worker'])).trim();
    expect(
      await d3.ok([
        'swarm',
        'join',
        '--token',
        workerToken,
        '--listen-addr',
        d3.addr,
        '--advertise-addr',
        d3.addr,
        d2.addr,
      ]),
    ).toContain('This node joined a swarm as a worker.');
    d3.id = (await d3.info()).Swarm.NodeID;
    expect((await d3.info()).Swarm.ControlAvailable).toBe(false);
    await d1.ok(['node', 'promote', d3.id]);
    await eventually(
      async () => (await d3.info()).Swarm.ControlAvailable === true,
      30_000,
      'the worker promoted to a manager',
    );
    for (const d of ds) {
      await eventually(
        async () =>
          [...(await nodeLs(d)).values()].filter((n) => n.ManagerStatus === 'Reachable' || n.ManagerStatus === 'Leader')
            .length === 3,
        20_000,
        `three reachable managers after the rejoin, seen from ${d.name}`,
      );
    }
    expect(await d3.ok(['service', 'ls'])).toContain('two-managers');

    // A manager refuses to leave without --force, with docker's quorum arithmetic.
    const leave = await d3.e.cli(['swarm', 'leave']);
    expect(leave.code).toBe(1);
    expect(leave.stderr).toContain('Removing this node leaves 2 managers out of 3.');

    // Demoting the leader hands leadership to another manager first; then it comes back.
    const lead = await leaderOf(d2);
    const asker = ds.find((d) => d !== lead)!;
    await asker.ok(['node', 'demote', lead.id]);
    await eventually(
      async () => (await lead.info()).Swarm.ControlAvailable === false,
      20_000,
      'the demoted leader no longer a manager',
    );
    expect((await leaderOf(asker)).id).not.toBe(lead.id);
    await asker.ok(['node', 'promote', lead.id]);
    await eventually(
      async () => (await lead.info()).Swarm.ControlAvailable === true,
      30_000,
      'the former leader a manager again',
    );
    for (const d of ds) {
      await eventually(
        async () =>
          [...(await nodeLs(d)).values()].filter((n) => n.ManagerStatus === 'Reachable' || n.ManagerStatus === 'Leader')
            .length === 3,
        20_000,
        `three reachable managers after the leader's demotion, seen from ${d.name}`,
      );
    }

    // One manager down: demoting another would cost the quorum, refused with docker's text.
    await d1.kill('SIGKILL');
    await eventually(
      async () => (await nodeLs(d2)).get(d1.id)!.ManagerStatus === 'Unreachable',
      15_000,
      'd1 unreachable',
    );
    const demote = await d2.e.cli(['node', 'demote', d3.id]);
    expect(demote.code).toBe(1);
    expect(demote.stderr).toContain("can't remove member from the raft: this would result in a loss of quorum");

    // Permanent loss of two managers: force-new-cluster on the survivor keeps the state.
    await d3.kill('SIGKILL');
    await eventually(
      async () => (await d2.e.cli(['service', 'scale', '-d', 'web=1'])).stderr.includes(NO_LEADER),
      15_000,
      'no quorum',
    );
    await d2.ok(['swarm', 'init', '--force-new-cluster', '--listen-addr', d2.addr, '--advertise-addr', d2.addr]);
    expect(await d2.ok(['service', 'ls'])).toMatch(/web\s+replicated\s+\d\/2\s+web:1/);
    await d2.ok(['service', 'scale', '-d', 'web=1']);
    const info = await d2.info();
    expect(info.Swarm).toMatchObject({ ControlAvailable: true, Managers: 1, Nodes: 3 });
    expect((await nodeLs(d2)).get(d2.id)!.ManagerStatus).toBe('Leader');
    const last = await d2.e.cli(['node', 'demote', d2.id]);
    expect(last.code).toBe(1);
    expect(last.stderr).toContain('attempting to demote the last manager of the swarm');
  });
});
