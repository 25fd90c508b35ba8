// Secrets and configs across machines (issue 10's proof): a 1 manager + 2 worker swarm of
// `flotilla machine`s; a stack with a file secret, an external secret and a config whose tasks run
// on one worker only. The values are inside the containers (content, mode, read-only); the secret is
// on no node's disk (the manager's Raft data is encrypted) and never reaches the nodes that run no
// task of it; a changed secret file rolls the service in place on redeploy; `secret update` with
// the manager killed -9 in the middle still ends with every task on the new value; `stack rm`
// removes what the stack made and keeps the external secret; the unmodified docker CLI drives it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, run, waitFor, type ApiTask, type Machine } from './cluster';

jest.setTimeout(180_000);

const IMAGE = 'clsec:1';
const STACK = 'sx';
const SERVICE = `${STACK}_app`;
const REPLICAS = 2;
const SCRIPT = "trap 'exit 0' TERM; sleep 100000 & wait";
// Values that appear nowhere else: a grep for them must find only what leaked.
const V1 = `pw-one-${process.pid}-4f1c9e`;
const V2 = `pw-two-${process.pid}-8a3d07`;
const V3 = `pw-three-${process.pid}-c51e62`;
const KEY = `api-key-${process.pid}-77b2e0`;
const CONF = `listen=8080 # conf-${process.pid}`;

let c: Cluster;
let dir: string;
let target: Machine; // the worker the tasks are pinned to
let other: Machine; // the worker that runs none of them

const compose = (nodeId: string): string => `version: "3.8"
services:
  app:
    image: ${IMAGE}
    command: ["sh", "-c", "${SCRIPT}"]
    deploy:
      replicas: ${REPLICAS}
      placement:
        constraints: ["node.id == ${nodeId}"]
      update_config:
        parallelism: 1
        order: start-first
    secrets:
      - db_password
      - source: api_key
        target: api.key
        uid: "1000"
        mode: 0400
    configs:
      - source: app_conf
        target: /etc/app.conf
secrets:
  db_password:
    file: ./db_password.txt
  api_key:
    external: true
configs:
  app_conf:
    file: ./app.conf
`;

/** Until REPLICAS tasks run, all reading `value` from /run/secrets/db_password. */
async function waitValue(value: string, timeoutMs = 60_000): Promise<ApiTask[]> {
  return waitFor(
    `every task of ${SERVICE} to read ${value}`,
    async () => {
      const running = await c.running(SERVICE);
      if (running.length !== REPLICAS) return false;
      const seen = await Promise.all(running.map((t) => cat(t, '/run/secrets/db_password')));
      return seen.every((v) => v === value) ? running : false;
    },
    timeoutMs,
    200,
  );
}

async function exec(t: ApiTask, argv: string[]): Promise<{ code: number; out: string }> {
  const m = c.machineOf(t.NodeID)!;
  const r = await c.fl(m, ['exec', t.Status.ContainerStatus!.ContainerID!, ...argv]);
  return { code: r.code, out: r.out.trim() };
}

const cat = async (t: ApiTask, path: string): Promise<string> => (await exec(t, ['cat', path])).out;

/**
 * Files under `root` that hold `value` (grep -r; missing roots hold nothing). grep's status is not
 * read: it is 2 when some file could not be read (sockets, namespace files) even if others matched.
 */
function filesHolding(root: string, value: string): string[] {
  if (!existsSync(root)) return [];
  const r = spawnSync('grep', ['-rlsa', '--', value, root], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flsec-'));
  writeFileSync(join(dir, 'db_password.txt'), V1);
  writeFileSync(join(dir, 'api.key'), KEY);
  writeFileSync(join(dir, 'app.conf'), CONF);
  c = await Cluster.create({ roles: ['manager', 'worker', 'worker'], prefix: 'fz' });
  await c.loadImage(IMAGE);
  [target, other] = c.workers as [Machine, Machine];
  writeFileSync(join(dir, 'docker-compose.yml'), compose(target.nodeId));
});

afterAll(async () => {
  await c?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a stack with secrets and configs on three machines', () => {
  it('delivers a file secret, an external secret and a config into the tasks', async () => {
    await c.ok(c.manager, ['secret', 'create', 'api_key', join(dir, 'api.key')]);
    await c.ok(c.manager, ['stack', 'deploy', '-c', join(dir, 'docker-compose.yml'), STACK]);
    const tasks = await waitValue(V1);
    for (const t of tasks) {
      expect(t.NodeID).toBe(target.nodeId);
      expect(await cat(t, '/run/secrets/api.key')).toBe(KEY);
      expect(await cat(t, '/etc/app.conf')).toBe(CONF);
      expect((await exec(t, ['busybox', 'stat', '-c', '%a %u %g', '/run/secrets/db_password'])).out).toBe('444 0 0');
      expect((await exec(t, ['busybox', 'stat', '-c', '%a %u %g', '/run/secrets/api.key'])).out).toBe('400 1000 0');
      expect((await exec(t, ['sh', '-c', 'echo x > /run/secrets/db_password'])).code).not.toBe(0);
    }
    const names = (await c.ok(c.manager, ['secret', 'ls', '--format', '{{.Name}}'])).trim().split('\n').sort();
    expect(names).toEqual(['api_key', `${STACK}_db_password`]);
  });

  it('keeps the secret off every disk and away from the node without its tasks', async () => {
    for (const m of c.machines)
      expect({ node: m.name, files: filesHolding(m.dataRoot, V1) }).toEqual({ node: m.name, files: [] });
    // The node without tasks never got it: no secrets tmpfs under its daemon's exec root (the
    // machines share the host's mount table), nothing under that root; the tasks' node has them.
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
    const secretMounts = (m: Machine) =>
      mounts.split('\n').filter((l) => l.includes(` /run/flotilla-machine-${m.name}/`) && l.includes('/secrets/'));
    expect(secretMounts(target)).toHaveLength(REPLICAS);
    expect(secretMounts(other)).toEqual([]);
    expect(secretMounts(c.manager)).toEqual([]);
    expect(filesHolding(`/run/flotilla-machine-${other.name}`, V1)).toEqual([]);
    expect(filesHolding(`/run/flotilla-machine-${target.name}`, V1).length).toBeGreaterThan(0);
  });

  it('rolls the service in place when a redeploy brings a changed secret file', async () => {
    writeFileSync(join(dir, 'db_password.txt'), V2);
    const before = (await c.running(SERVICE)).map((t) => t.ID).sort();
    await c.ok(c.manager, ['stack', 'deploy', '-c', join(dir, 'docker-compose.yml'), STACK]);
    const after = await waitValue(V2);
    expect(after.map((t) => t.ID).sort()).not.toEqual(before);
    // One secret object still, updated in place: same name, same ID.
    const ls = await c.ok(c.manager, ['secret', 'ls', '--format', '{{.Name}}']);
    expect(ls.trim().split('\n').sort()).toEqual(['api_key', `${STACK}_db_password`]);
    const ps = await c.ok(c.manager, ['service', 'ps', SERVICE, '--format', '{{.DesiredState}}']);
    expect(ps).toMatch(/Shutdown/);
  });

  it('finishes a secret update whose manager is killed -9 in the middle', async () => {
    writeFileSync(join(dir, 'v3'), V3);
    // A delay between the two slots, so that the kill lands in the middle of the roll.
    await c.ok(c.manager, ['service', 'update', '-d', '--update-delay', '4s', SERVICE]);
    await c.ok(c.manager, ['secret', 'update', `${STACK}_db_password`, join(dir, 'v3')]);
    await waitFor('the first slot on the new value', async () => {
      const running = await c.running(SERVICE);
      const seen = await Promise.all(running.map((t) => cat(t, '/run/secrets/db_password')));
      return seen.includes(V3) && seen.includes(V2);
    });
    const [svc] = await c.api<{ UpdateStatus?: { State: string } }[]>(
      c.manager,
      'GET',
      `/services?filters=${encodeURIComponent(JSON.stringify({ name: [SERVICE] }))}`,
    );
    expect(svc?.UpdateStatus?.State).toBe('updating');
    await c.killDaemon(c.manager);
    await c.startDaemon(c.manager);
    await waitValue(V3, 90_000);
    expect(filesHolding(c.manager.dataRoot, V3)).toEqual([]);
  });

  it('a roll onto a value the tasks refuse rolls back to the old value', async () => {
    // Tasks that exit unless their secret says "good": failure_action rollback brings them back.
    writeFileSync(join(dir, 'good'), 'good');
    writeFileSync(join(dir, 'bad'), 'bad');
    const gate = "busybox grep -q good /run/secrets/gate || exit 1; trap 'exit 0' TERM; sleep 100000 & wait";
    await c.ok(c.manager, ['secret', 'create', 'gate', join(dir, 'good')]);
    await c.ok(c.manager, [
      'service',
      'create',
      '-d',
      '--name',
      'gated',
      '--replicas',
      '2',
      '--secret',
      'gate',
      '--update-failure-action',
      'rollback',
      '--restart-delay',
      '1s',
      IMAGE,
      'sh',
      '-c',
      gate,
    ]);
    const before = await waitFor('gated to run', async () => {
      const r = await c.running('gated');
      return r.length === 2 ? r : false;
    });
    await c.ok(c.manager, ['secret', 'update', 'gate', join(dir, 'bad')]);
    const service = await waitFor(
      'the roll to fail and roll back',
      async () => {
        const [s] = await c.api<{ UpdateStatus?: { State: string } }[]>(
          c.manager,
          'GET',
          `/services?filters=${encodeURIComponent(JSON.stringify({ name: ['gated'] }))}`,
        );
        return s?.UpdateStatus?.State === 'rollback_completed' ? s : false;
      },
      90_000,
      200,
    );
    expect(service).toBeTruthy();
    const after = await waitFor('two tasks on the old value', async () => {
      const r = await c.running('gated');
      return r.length === 2 ? r : false;
    });
    const pin = (t: ApiTask) =>
      (t as ApiTask & { Spec: { ContainerSpec: { Secrets?: { DataVersion?: number }[] } } }).Spec.ContainerSpec
        .Secrets?.[0]?.DataVersion;
    for (const t of after) {
      expect(await cat(t, '/run/secrets/gate')).toBe('good');
      expect(pin(t)).toBe(pin(before[0]!));
    }
    const [secret] = JSON.parse(await c.ok(c.manager, ['secret', 'inspect', 'gate'])) as [{ DataVersion: number }];
    expect(secret.DataVersion).toBe(2); // the new data is kept; the service is pinned to version 1
    await c.ok(c.manager, ['service', 'rm', 'gated']);
    await waitFor('gated to go', async () => (await c.tasks('gated')).every((t) => t.DesiredState !== 'running'));
    await waitFor(
      'the gate secret to be free',
      async () => (await c.fl(c.manager, ['secret', 'rm', 'gate'])).code === 0,
    );
  });

  it('stack rm removes the stack secrets and config, not the external secret', async () => {
    await c.ok(c.manager, ['stack', 'rm', STACK]);
    await waitFor(
      'the stack secret to go',
      async () => {
        const ls = await c.ok(c.manager, ['secret', 'ls', '--format', '{{.Name}}']);
        return ls.trim() === 'api_key';
      },
      30_000,
    );
    expect((await c.ok(c.manager, ['config', 'ls', '--format', '{{.Name}}'])).trim()).toBe('');
    await c.ok(c.manager, ['secret', 'rm', 'api_key']);
    // The tasks' tmpfs went with their containers.
    await waitFor('the tasks to be gone', async () => (await c.running(SERVICE)).length === 0, 30_000);
    const pid = await c.daemonPid(target);
    await waitFor(
      'the task secret mounts to go',
      async () => !/secrets/.test(readFileSync(`/proc/${pid}/mountinfo`, 'utf8')),
      30_000,
    );
  });

  it('the unmodified docker CLI runs secret, config and stack commands against it', async () => {
    const env = { ...process.env, DOCKER_HOST: `unix://${c.manager.socket}` };
    for (const docker of ['/usr/local/bin/docker', '/usr/bin/docker'].filter((p) => existsSync(p))) {
      const d = (args: string[], input?: string) => run(docker, args, { env, input, timeoutMs: 60_000 });
      // The compose file's external secret, made from stdin as a script would.
      expect((await d(['secret', 'create', 'api_key', '-'], KEY)).code).toBe(0);
      const created = await d(['secret', 'create', 'dk_secret', join(dir, 'api.key')]);
      expect(created).toMatchObject({ code: 0 });
      expect((await d(['secret', 'ls'])).out).toMatch(/dk_secret/);
      expect((await d(['config', 'create', 'dk_conf', join(dir, 'app.conf')])).code).toBe(0);
      expect((await d(['config', 'ls'])).out).toMatch(/dk_conf/);
      const deploy = await d(['stack', 'deploy', '-c', join(dir, 'docker-compose.yml'), 'dk']);
      expect({ docker, ...deploy }).toMatchObject({ code: 0 });
      await waitFor(
        `${docker}: the docker-deployed stack to run`,
        async () => (await c.running('dk_app')).length === REPLICAS,
        60_000,
      ).catch(async (e: Error) => {
        const tasks = await c.tasks('dk_app');
        throw new Error(`${e.message}: ${JSON.stringify(tasks.map((t) => [t.Status.State, t.Status.Err]))}`);
      });
      const rm = await d(['stack', 'rm', 'dk']);
      expect({ docker, ...rm }).toMatchObject({ code: 0 });
      await waitFor(
        `${docker}: the docker stack's secret to go`,
        async () => !(await d(['secret', 'ls'])).out.includes('dk_db_password'),
        30_000,
      );
      expect((await d(['secret', 'rm', 'dk_secret'])).code).toBe(0);
      expect((await d(['config', 'rm', 'dk_conf'])).code).toBe(0);
      expect((await d(['secret', 'rm', 'api_key'])).code).toBe(0);
      expect((await d(['secret', 'ls', '-q'])).out.trim()).toBe('');
    }
  });
});
