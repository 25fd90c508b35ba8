// The unmodified docker CLI (the one on PATH, 28.x here, and Debian's docker.io 20.10 client)
// doing swarm work against a private single-node flotilla daemon: swarm init as the CLI sends it
// (SubnetSize 24 with no pool), service create without --replicas and without --no-resolve-image
// (docker's digest warning), the name filter by prefix, service logs of a service and of one task,
// service update/scale/rollback/rm, node ls/inspect/update, stack deploy/ls/services/ps/rm,
// secret and config create/ls/rm, swarm join-token/update/leave.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DaemonProcess, dockerClients } from '../engine/daemon-process';
import { TestEngine, eventually, freePort } from '../engine/harness';

jest.setTimeout(240_000);

/** docker's warning when /distribution/{name}/json fails (printed by the CLI, which then goes on). */
const digestWarning = (image: string) =>
  `image ${image} could not be accessed on a registry to record\nits digest. Each node will access ${image} independently,\npossibly leading to different nodes running different\nversions of the image.\n`;

const STACK = `version: "3.8"
services:
  app:
    image: web:1
    command: sh -c 'echo stack-app-up; exec sleep 1000'
`;

describe('the docker CLI on a flotilla swarm', () => {
  const e = new TestEngine('docker-cli-swarm');
  const daemon = new DaemonProcess(e);

  /** `docker <args>` against the daemon under test. */
  function docker(
    client: string,
    args: string[],
    timeout = 30_000,
  ): Promise<{ code: number; out: string; err: string }> {
    return new Promise((resolve) => {
      const env = { PATH: process.env.PATH, HOME: e.dir, DOCKER_HOST: e.host, DOCKER_CLI_HINTS: 'false' };
      execFile(client, args, { env, timeout }, (err, out, errOut) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out, err: errOut }),
      );
    });
  }

  async function ok(client: string, args: string[]): Promise<{ out: string; err: string }> {
    const r = await docker(client, args);
    if (r.code !== 0)
      throw new Error(`${client} ${args.join(' ')} exited ${r.code}: ${r.err}${r.out}\ndaemon log: ${daemon.log}`);
    return r;
  }

  beforeAll(async () => {
    await daemon.start();
    await e.importBusybox('web:1');
  });

  // Each client starts from no swarm, whatever the one before left.
  afterEach(async () => {
    await e.cli(['swarm', 'leave', '--force']).catch(() => undefined);
  });

  afterAll(async () => {
    await e.cli(['swarm', 'leave', '--force']).catch(() => undefined);
    await daemon.stop();
    await e.cleanup();
  });

  test.each(dockerClients())('%s: swarm, node, service, stack, secret and config commands', async (client) => {
    const version = (await ok(client, ['version', '--format', '{{.Client.Version}}'])).out.trim();
    process.stdout.write(`docker client ${client}: ${version}\n`);
    const port = await freePort();
    const addr = `127.0.0.1:${port}`;

    // swarm init: the CLI sends SubnetSize 24 with an empty DefaultAddrPool.
    const init = await ok(client, ['swarm', 'init', '--advertise-addr', addr, '--listen-addr', addr]);
    expect(init.out).toMatch(/Swarm initialized: current node \([0-9a-z]{25}\) is now a manager\./);
    expect(init.out).toMatch(new RegExp(`docker swarm join --token SWMTKN-1-\\S+ 127\\.0\\.0\\.1:${port}`));
    expect((await ok(client, ['swarm', 'join-token', '-q', 'worker'])).out).toMatch(/^SWMTKN-1-\S+\n$/);
    expect((await ok(client, ['swarm', 'update', '--task-history-limit', '3'])).out).toBe('Swarm updated.\n');
    const [self] = (await ok(client, ['node', 'ls', '-q'])).out.trim().split('\n');
    expect((await ok(client, ['node', 'ls'])).out).toMatch(/\*\s+\S+\s+Ready\s+Active\s+Leader/);
    expect((await ok(client, ['node', 'update', '--label-add', 'zone=a', self!])).out.trim()).toBe(self);
    const [node] = JSON.parse((await ok(client, ['node', 'inspect', 'self'])).out) as { Spec: { Labels: object } }[];
    expect(node!.Spec.Labels).toEqual({ zone: 'a' });

    // service create without --replicas and without --no-resolve-image: docker's warning, one replica.
    const created = await ok(client, [
      'service',
      'create',
      '--detach',
      '--name',
      'web',
      'web:1',
      'sh',
      '-c',
      'echo hello-from-web; exec sleep 1000',
    ]);
    expect(created.err).toContain(digestWarning('web:1'));
    expect(created.out).toMatch(/^[0-9a-z]{25}\n$/);
    await ok(client, [
      'service',
      'create',
      '--detach',
      '--no-resolve-image',
      '--name',
      'web2',
      'web:1',
      'sleep',
      '1000',
    ]);
    await ok(client, ['service', 'create', '--detach', '--no-resolve-image', '--name', 'db', 'web:1', 'sleep', '1000']);
    const inspected = JSON.parse((await ok(client, ['service', 'inspect', 'web'])).out) as {
      Spec: { Mode: unknown };
    }[];
    expect(inspected[0]!.Spec.Mode).toEqual({ Replicated: { Replicas: 1 } });

    // The name filter matches by prefix, as in docker.
    const names = async (filter: string) =>
      (await ok(client, ['service', 'ls', '--filter', filter, '--format', '{{.Name}}'])).out.trim().split('\n').sort();
    expect(await names('name=web')).toEqual(['web', 'web2']);
    expect(await names('name=d')).toEqual(['db']);

    // service logs of the service, then of its one task (by the 12-character ID `service ps` shows).
    await eventually(
      async () => (await ok(client, ['service', 'logs', 'web'])).out.includes('hello-from-web'),
      30_000,
      'the service to log its line',
    );
    const taskId = (await ok(client, ['service', 'ps', '--format', '{{.ID}}', 'web'])).out.trim();
    expect(taskId).toMatch(/^[0-9a-z]{12}$/);
    const taskLogs = await ok(client, ['service', 'logs', taskId]);
    expect(taskLogs.out).toMatch(new RegExp(`^web\\.1\\.${taskId}@\\S+\\s+\\| hello-from-web\\n$`));
    expect((await ok(client, ['service', 'logs', '--raw', taskId])).out).toBe('hello-from-web\n');
    expect((await ok(client, ['service', 'logs', '--timestamps', 'web'])).out).toMatch(
      new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\S+Z web\\.1\\.${taskId}@\\S+\\s+\\| hello-from-web\\n$`),
    );
    const missing = await docker(client, ['service', 'logs', 'nosuchthing']);
    expect(missing.code).toBe(1);

    // update, scale, rollback, rm.
    expect((await ok(client, ['service', 'update', '--detach', '--env-add', 'X=1', 'web'])).out).toBe('web\n');
    expect((await ok(client, ['service', 'scale', '--detach', 'web2=2'])).out).toContain('web2 scaled to 2');
    await eventually(
      async () => /\b2\/2\b/.test((await ok(client, ['service', 'ls', '--filter', 'name=web2'])).out),
      30_000,
      'web2 to run 2 replicas',
    );
    expect((await ok(client, ['service', 'rollback', '--detach', 'web'])).out).toBe('web\n');
    expect((await ok(client, ['service', 'rm', 'web', 'web2', 'db'])).out).toBe('web\nweb2\ndb\n');
    expect((await ok(client, ['service', 'ls', '-q'])).out).toBe('');

    // secrets and configs.
    const secretFile = join(e.dir, 'secret.txt');
    writeFileSync(secretFile, 's3cret\n');
    expect((await ok(client, ['secret', 'create', 'pw', secretFile])).out).toMatch(/^[0-9a-z]{25}\n$/);
    expect((await ok(client, ['secret', 'ls', '--format', '{{.Name}}'])).out).toBe('pw\n');
    expect((await ok(client, ['secret', 'rm', 'pw'])).out).toBe('pw\n');
    expect((await ok(client, ['config', 'create', 'conf', secretFile])).out).toMatch(/^[0-9a-z]{25}\n$/);
    expect((await ok(client, ['config', 'ls', '--format', '{{.Name}}'])).out).toBe('conf\n');
    expect((await ok(client, ['config', 'rm', 'conf'])).out).toBe('conf\n');

    // A stack: deploy, ls, services, ps (only the stack's tasks), rm.
    const file = join(e.dir, 'stack.yml');
    writeFileSync(file, STACK);
    const deploy = await ok(client, ['stack', 'deploy', '-c', file, 'st']);
    expect(deploy.out).toContain('Creating service st_app');
    expect((await ok(client, ['stack', 'ls'])).out).toMatch(/\nst\s+1\b/);
    await eventually(
      async () => /st_app\s+replicated\s+1\/1\s+web:1/.test((await ok(client, ['stack', 'services', 'st'])).out),
      30_000,
      'st_app to run',
    );
    const ps = (await ok(client, ['stack', 'ps', '--format', '{{.Name}}', 'st'])).out.trim().split('\n');
    expect(ps).toEqual(['st_app.1']);
    // The first `stack rm` succeeds: the stack network's removal waits for the stopping task's
    // endpoint to leave the node's bridge, as docker removes a swarm network at once.
    const rm = await docker(client, ['stack', 'rm', 'st']);
    expect(rm).toMatchObject({ code: 0, err: '' });
    expect(rm.out).toContain('Removing service st_app');
    expect(rm.out).toContain('Removing network st_default');
    expect((await ok(client, ['stack', 'ls', '--format', '{{.Name}}'])).out).toBe('');
    await eventually(
      async () => !(await ok(client, ['network', 'ls', '--format', '{{.Name}}'])).out.includes('st_default'),
      30_000,
      "the stack's network to go",
    );

    expect((await ok(client, ['swarm', 'leave', '--force'])).out).toBe('Node left the swarm.\n');
  });
});
