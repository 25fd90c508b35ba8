// Part 3 of the getstarted lab through the real CLI against a real daemon process: swarm init,
// stack deploy of 5 replicas behind the routing mesh on one port, scale by editing the YAML (the
// kept replicas are not restarted), bad input, kill -9 of the daemon (services come back, tasks
// are replaced, never duplicated), stack rm and swarm leave --force.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { get } from './http-get';
import { TestEngine, eventually, freePort } from '../engine/harness';

jest.setTimeout(180_000);

const BIN = join(__dirname, '../../packages/stack-cli/bin/flotilla');
const DIST = join(__dirname, '../../packages/stack-cli/dist/cli/main.js');

const compose = (replicas: number, port: number, extra = '') => `version: "3"
services:
  web:
    image: web:1
    # busybox httpd serving the container's hostname; exits at once on SIGTERM
    command: sh -c 'trap "exit 0" TERM; mkdir -p /www; hostname > /www/index.html; httpd -f -p 80 -h /www & wait'
    deploy:
      replicas: ${replicas}
      resources:
        limits:
          cpus: "0.1"
          memory: 50M
      restart_policy:
        condition: any
        delay: 1s
    ports:
      - "${port}:80"
    networks:
      - webnet
${extra}networks:
  webnet:
`;

describe('single-node swarm through the CLI', () => {
  const e = new TestEngine('swarm');
  let daemon: ChildProcess | null = null;

  async function startDaemon() {
    // --mesh-tunnel-port 0: a free port, not docker's 7946 (which a user's daemon on this host may hold).
    daemon = spawn(
      process.execPath,
      [BIN, 'daemon', '--data-root', e.dataRoot, '-H', e.host, '--mesh-tunnel-port', '0'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    daemon.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    await eventually(async () => (await e.cli(['version'])).code === 0, 20_000, `the daemon to answer (log: ${log})`);
  }

  function killDaemon(signal: NodeJS.Signals) {
    const d = daemon;
    daemon = null;
    return new Promise<void>((r) => {
      if (!d || d.exitCode !== null) return r();
      d.once('exit', () => r());
      d.kill(signal);
    });
  }

  beforeAll(async () => {
    if (!existsSync(DIST)) throw new Error('packages/stack-cli/dist is missing: run `npm run build` before the tests');
    await startDaemon();
  });

  afterAll(async () => {
    await e.cli(['swarm', 'leave', '--force']).catch(() => undefined);
    await killDaemon('SIGTERM');
    await e.cleanup();
  });

  test('the lab, Part 3', async () => {
    const port = await freePort();
    const file = join(e.dir, 'docker-compose.yml');
    writeFileSync(file, compose(5, port));

    // No swarm yet: docker's words, exit 1.
    const noSwarm = await e.cli(['stack', 'deploy', '-c', file, 'getstartedlab']);
    expect(noSwarm.code).toBe(1);
    expect(noSwarm.stderr).toContain(
      'this node is not a swarm manager. Use "flotilla swarm init" or "flotilla swarm join" to connect this node to swarm and try again',
    );

    const clusterPort = await freePort();
    const badPool = await e.cli([
      'swarm',
      'init',
      '--default-addr-pool',
      '198.19.192.0/33',
      '--listen-addr',
      `127.0.0.1:${clusterPort}`,
    ]);
    expect(badPool.code).toBe(1);
    expect(badPool.stderr).toContain('invalid base pool "198.19.192.0/33"');
    const init = await e.ok([
      'swarm',
      'init',
      '--advertise-addr',
      `127.0.0.1:${clusterPort}`,
      '--listen-addr',
      `127.0.0.1:${clusterPort}`,
      '--default-addr-pool',
      '198.19.192.0/18',
      '--default-addr-pool-mask-length',
      '26',
    ]);
    expect(init).toMatch(/Swarm initialized: current node \([0-9a-z]{25}\) is now a manager\./);
    expect(init).toMatch(
      new RegExp(`flotilla swarm join --token SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25} 127\\.0\\.0\\.1:${clusterPort}`),
    );
    expect(await e.ok(['node', 'ls'])).toMatch(/\*\s+\S+\s+Ready\s+Active\s+Leader/);
    const listening = execFileSync('ss', ['-Htlnp'])
      .toString()
      .split('\n')
      .filter((l) => l.includes(`pid=${daemon!.pid},`));
    expect(listening.some((l) => l.includes(`127.0.0.1:${clusterPort} `))).toBe(true);
    expect(listening.some((l) => /:7946\s/.test(l))).toBe(false);

    await e.importBusybox('web:1');
    const deploy = await e.ok(['stack', 'deploy', '-c', file, 'getstartedlab']);
    expect(deploy).toContain('Creating service getstartedlab_web');
    expect(deploy).toContain('verify: Service converged');
    expect(await e.ok(['service', 'ls'])).toMatch(
      new RegExp(`getstartedlab_web\\s+replicated\\s+5/5\\s+web:1\\s+\\*:${port}->80/tcp`),
    );
    // The stack network's subnet came from the cluster's pool, carved in /26s.
    expect(await e.ok(['info'])).toContain('Default Address Pool: 198.19.192.0/18\n  SubnetSize: 26\n');
    const webnet = JSON.parse(await e.ok(['network', 'inspect', 'getstartedlab_webnet'])) as [
      { IPAM: { Config: { Subnet: string }[] } },
    ];
    expect(webnet[0].IPAM.Config[0]!.Subnet).toBe('198.19.192.0/26');

    // The routing mesh: every replica answers on the one published port.
    const seen = new Set<string>();
    await eventually(
      async () => {
        for (let i = 0; i < 10; i++) seen.add(await get(port));
        return seen.size === 5;
      },
      20_000,
      'five different hostnames through the mesh',
    );
    const ps = (await e.ok(['stack', 'ps', 'getstartedlab', '--format', 'json']))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { ID: string; Name: string; DesiredState: string; CurrentState: string });
    const before = new Set(ps.map((t) => t.ID));
    expect(ps).toHaveLength(5);

    // The limits are real: each replica's cgroup caps it at 0.1 CPU and 50 MiB.
    const first = JSON.parse((await e.ok(['ps', '--format', 'json'])).trim().split('\n')[0]!) as { ID: string };
    const insp = JSON.parse(await e.ok(['inspect', first.ID])) as [
      { HostConfig: { NanoCpus: number; Memory: number } },
    ];
    expect(insp[0].HostConfig).toMatchObject({ NanoCpus: 1e8, Memory: 50 * 1024 * 1024 });

    // Scale by editing the YAML: in place, the two kept replicas are not restarted.
    writeFileSync(file, compose(2, port));
    const scaled = await e.ok(['stack', 'deploy', '-c', file, 'getstartedlab']);
    expect(scaled).toContain('Updating service getstartedlab_web');
    const running = async () =>
      (await e.ok(['stack', 'ps', 'getstartedlab', '--format', 'json', '--filter', 'desired-state=running']))
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { ID: string; CurrentState: string })
        .filter((t) => t.CurrentState.startsWith('Running'));
    const kept = await running();
    expect(kept).toHaveLength(2);
    for (const t of kept) expect(before.has(t.ID)).toBe(true);

    // An unchanged redeploy touches nothing.
    const v1 = (
      JSON.parse(await e.ok(['service', 'inspect', 'getstartedlab_web'])) as [{ Version: { Index: number } }]
    )[0].Version.Index;
    const again = await e.ok(['stack', 'deploy', '-c', file, 'getstartedlab']);
    expect(again).not.toContain('Updating service');
    expect(
      (JSON.parse(await e.ok(['service', 'inspect', 'getstartedlab_web'])) as [{ Version: { Index: number } }])[0]
        .Version.Index,
    ).toBe(v1);

    // Bad input: a clear error naming file, line, column and key; nothing changes.
    writeFileSync(join(e.dir, 'bad.yml'), compose(-1, port));
    const bad = await e.cli(['stack', 'deploy', '-c', join(e.dir, 'bad.yml'), 'getstartedlab']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/bad\.yml:8:17: services\.web\.deploy\.replicas: must not be negative/);
    writeFileSync(
      join(e.dir, 'clash.yml'),
      compose(1, port)
        .replace('webnet:\n', 'webnet:\n')
        .replace('services:\n', `services:\n  other:\n    image: web:1\n    ports: ["${port}:80"]\n`),
    );
    const clash = await e.cli(['stack', 'deploy', '-c', join(e.dir, 'clash.yml'), 'other']);
    expect(clash.code).not.toBe(0);
    expect(clash.stderr).toContain(`port '${port}' is already in use by service 'getstartedlab_web'`);
    await e.cli(['stack', 'rm', 'other']);

    // service create + service logs: every task's lines, prefixed with service.slot.task@node.
    await e.ok([
      'service',
      'create',
      '--name',
      'talker',
      '--replicas',
      '2',
      '--restart-condition',
      'none',
      'web:1',
      'sh',
      '-c',
      'echo "hello from $(hostname)"; exec sleep 600',
    ]);
    const logs = await eventually(
      async () => {
        const out = await e.ok(['service', 'logs', 'talker']);
        return out.trim().split('\n').length === 2 && out;
      },
      20_000,
      'two log lines from talker',
    );
    for (const line of logs.trim().split('\n'))
      expect(line).toMatch(/^talker\.[12]\.[0-9a-z]{12}@\S+ {4}\| hello from [0-9a-f]{12}$/);
    for (const line of (await e.ok(['service', 'logs', '--no-task-ids', 'talker'])).trim().split('\n'))
      expect(line).toMatch(/^talker\.[12]@\S+ {4}\| hello from [0-9a-f]{12}$/);
    for (const line of (await e.ok(['service', 'logs', '--no-trunc', 'talker'])).trim().split('\n'))
      expect(line).toMatch(/^talker\.[12]\.[0-9a-z]{25}@\S+ {4}\| hello from [0-9a-f]{12}$/);
    for (const line of (await e.ok(['service', 'logs', '--raw', 'talker'])).trim().split('\n'))
      expect(line).toMatch(/^hello from [0-9a-f]{12}$/);
    // Lines written before --since are left out.
    expect(await e.ok(['service', 'logs', '--since', '0s', 'talker'])).toBe('');
    expect(await e.ok(['service', 'rm', 'talker'])).toBe('talker\n');

    // A mode=host port binds on the task's node only; `service ps` shows the port the task got.
    await e.ok([
      'service',
      'create',
      '--name',
      'hostmode',
      '--publish',
      'mode=host,target=80',
      'web:1',
      'sh',
      '-c',
      'echo hostmode > /tmp/index.html; exec busybox httpd -f -p 80 -h /tmp',
    ]);
    const hostPorts = (await e.ok(['service', 'ps', 'hostmode', '--format', '{{.Ports}}'])).trim();
    expect(hostPorts).toMatch(/^\*:\d+->80\/tcp$/);
    // Running is not listening yet (httpd starts a moment after its container): as with docker, retry.
    const hostPort = Number(/^\*:(\d+)/.exec(hostPorts)![1]);
    expect(await eventually(() => get(hostPort), 10_000, 'the mode=host port to answer')).toBe('hostmode');
    await e.ok(['service', 'rm', 'hostmode']);

    // A rolling update to a new image, one task at a time, then a rollback: task history shows both.
    await e.ok(['tag', 'web:1', 'web:2']);
    await e.ok([
      'service',
      'create',
      '--name',
      'upd',
      '--replicas',
      '2',
      '--update-parallelism',
      '1',
      '--update-monitor',
      '100ms',
      '--stop-grace-period',
      '2s',
      'web:1',
      'sh',
      '-c',
      'trap "exit 0" TERM; sleep 600 & wait',
    ]);
    const tasksOf = async (svc: string) =>
      (await e.ok(['service', 'ps', svc, '--format', 'json']))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { Image: string; DesiredState: string; CurrentState: string });
    const runningImages = async (svc: string) =>
      (await tasksOf(svc))
        .filter((t) => t.DesiredState === 'Running' && t.CurrentState.startsWith('Running'))
        .map((t) => t.Image)
        .sort();
    expect(await runningImages('upd')).toEqual(['web:1', 'web:1']);
    expect(await e.ok(['service', 'update', '--image', 'web:2', 'upd'])).toContain('verify: Service converged');
    expect(await runningImages('upd')).toEqual(['web:2', 'web:2']);
    expect((await tasksOf('upd')).filter((t) => t.Image === 'web:1' && t.DesiredState === 'Shutdown')).toHaveLength(2);
    const upd = JSON.parse(await e.ok(['service', 'inspect', 'upd'])) as [
      { UpdateStatus?: { State: string }; PreviousSpec?: { TaskTemplate: { ContainerSpec: { Image: string } } } },
    ];
    expect(upd[0].PreviousSpec?.TaskTemplate.ContainerSpec.Image).toBe('web:1');
    await eventually(
      async () =>
        (JSON.parse(await e.ok(['service', 'inspect', 'upd'])) as [{ UpdateStatus?: { State: string } }])[0]
          .UpdateStatus?.State === 'completed',
      10_000,
      'update completed',
    );
    expect(await e.ok(['service', 'rollback', 'upd'])).toContain('verify: Service converged');
    expect(await runningImages('upd')).toEqual(['web:1', 'web:1']);
    // Two finished tasks per slot now (web:1, web:2); `swarm update` keeps one of them per slot.
    expect((await tasksOf('upd')).filter((t) => t.DesiredState === 'Shutdown')).toHaveLength(4);
    expect(await e.ok(['swarm', 'update', '--task-history-limit', '1'])).toBe('Swarm updated.\n');
    await eventually(
      async () => (await tasksOf('upd')).filter((t) => t.DesiredState === 'Shutdown').length === 2,
      10_000,
      'task history pruned to one per slot',
    );
    expect(await e.ok(['info'])).toContain('  Orchestration:\n   Task History Retention Limit: 1\n');
    // Healthchecks gate the update: new tasks that never get healthy fail it, and with
    // --update-failure-action rollback the service goes back to its previous spec by itself.
    await e.ok([
      'service',
      'update',
      '-d',
      '--health-cmd',
      'exit 1',
      '--health-interval',
      '100ms',
      '--health-retries',
      '1',
      '--update-failure-action',
      'rollback',
      '--update-monitor',
      '1s',
      '--rollback-parallelism',
      '2',
      'upd',
    ]);
    type Inspected = [
      {
        UpdateStatus?: { State: string; Message?: string };
        Spec: { TaskTemplate: { ContainerSpec: { Healthcheck?: { Test: string[] } } } };
        PreviousSpec?: { RollbackConfig?: { Parallelism?: number } };
      },
    ];
    const rolledBack = await eventually(
      async () => {
        const s = (JSON.parse(await e.ok(['service', 'inspect', 'upd'])) as Inspected)[0];
        return s.UpdateStatus?.State === 'rollback_completed' && s;
      },
      30_000,
      'the failed update rolled back',
    );
    expect(rolledBack.Spec.TaskTemplate.ContainerSpec.Healthcheck).toBeUndefined();
    expect(rolledBack.PreviousSpec?.RollbackConfig?.Parallelism).toBe(2);
    expect(
      (await tasksOf('upd')).some((t) => /unhealthy/.test(JSON.stringify(t)) || t.CurrentState.startsWith('Failed')),
    ).toBe(true);
    await eventually(
      async () => (await runningImages('upd')).length === 2,
      20_000,
      'two healthy-spec replicas running after the rollback',
    );
    await e.ok(['service', 'rm', 'upd']);

    // kill -9 of the daemon: the service comes back from the Raft log; tasks are replaced, not duplicated.
    await killDaemon('SIGKILL');
    await startDaemon();
    await eventually(
      async () =>
        (await running()).length === 2 && (await e.ok(['ps', '-q'])).trim().split('\n').filter(Boolean).length === 2,
      30_000,
      'two replicas running again after the daemon restart',
    );
    // The replacements' httpd may not listen yet the moment their containers run.
    expect(await eventually(() => get(port), 10_000, 'the mesh to answer after the restart')).toMatch(/^[0-9a-f]{12}$/);
    const all = JSON.parse(`[${(await e.ok(['ps', '--format', 'json'])).trim().split('\n').join(',')}]`) as unknown[];
    expect(all).toHaveLength(2);

    const rm = await e.ok(['stack', 'rm', 'getstartedlab']);
    expect(rm).toContain('Removing service getstartedlab_web');
    expect(rm).toContain('Removing network getstartedlab_webnet');
    await eventually(
      async () => (await e.ok(['ps', '-aq'])).trim() === '' || (await e.ok(['ps', '-q'])).trim() === '',
      30_000,
      'task containers gone',
    );
    await expect(get(port)).rejects.toThrow();

    const leave = await e.cli(['swarm', 'leave']);
    expect(leave.code).not.toBe(0);
    expect(leave.stderr).toContain('Use `--force` to ignore this message');
    expect(await e.ok(['swarm', 'leave', '--force'])).toContain('Node left the swarm.');
    expect((await e.cli(['service', 'ls'])).stderr).toContain('This node is not a swarm manager');
  });
});
