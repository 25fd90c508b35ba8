// Secrets and configs through the real CLI against a real single-node daemon: secret/config
// create, ls, inspect, rm; service create --secret/--config with the values and modes inside the
// container; a secret in use refused removal; flotilla's in-place `secret update` rolling the
// service onto the new value; stack deploy of a stack with a file secret, an external secret and
// a config; a redeploy after the secret file changed; stack rm removing what the stack made.
// Needs the server side of issue 10 (the /secrets and /configs API, delivery to tasks).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DaemonProcess } from '../engine/daemon-process';
import { TestEngine, eventually, freePort } from '../engine/harness';

jest.setTimeout(180_000);

const SLEEPER = ['sh', '-c', 'trap "exit 0" TERM; sleep 600 & wait'];

const stackFile = `version: "3.8"
services:
  web:
    image: web:1
    command: sh -c 'trap "exit 0" TERM; sleep 600 & wait'
    deploy:
      update_config:
        parallelism: 1
        order: stop-first
    secrets:
      - db_password
      - source: api_key
        target: api.key
        mode: 0400
    configs:
      - source: site
        target: /etc/site.conf
secrets:
  db_password:
    file: ./db_password.txt
  api_key:
    external: true
configs:
  site:
    file: site.conf
`;

describe('secrets and configs through the CLI', () => {
  const e = new TestEngine('secrets');
  const daemon = new DaemonProcess(e);

  beforeAll(async () => {
    await daemon.start();
    const port = await freePort();
    await e.ok(['swarm', 'init', '--advertise-addr', `127.0.0.1:${port}`, '--listen-addr', `127.0.0.1:${port}`]);
    await e.importBusybox('web:1');
  });

  afterAll(async () => {
    await e.cli(['swarm', 'leave', '--force']).catch(() => undefined);
    await daemon.stop();
    await e.cleanup();
  });

  /** The running containers of a service's tasks (named <service>.<slot>.<task>). */
  const containersOf = async (service: string): Promise<string[]> =>
    (await e.ok(['ps', '--format', 'json']))
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { ID: string; Names: string })
      .filter((c) => c.Names.startsWith(`${service}.`))
      .map((c) => c.ID);
  const inContainer = async (id: string, ...cmd: string[]) => (await e.ok(['exec', id, ...cmd])).trim();
  /** What `cmd` prints in the one running task of `service`, once it prints `want`. */
  const eventuallyIn = (service: string, want: string, ...cmd: string[]) =>
    eventually(
      async () => {
        const [id, ...more] = await containersOf(service);
        if (!id || more.length) return false;
        const r = await e.cli(['exec', id, ...cmd]);
        return r.code === 0 && r.stdout.trim() === want && id;
      },
      60_000,
      `${cmd.join(' ')} in ${service} to print ${want}`,
    );

  test('secret and config commands', async () => {
    const id = (await e.ok(['secret', 'create', '--label', 'env=test', 'db_pw', '-'], { input: 's3cret-1' })).trim();
    expect(id).toMatch(/^[0-9a-z]{25}$/);
    expect(await e.ok(['secret', 'ls'])).toMatch(
      new RegExp(`^ID\\s+NAME\\s+DRIVER\\s+CREATED\\s+UPDATED\\n${id}\\s+db_pw\\s+\\S.* ago\\s+\\S.* ago\\n$`),
    );
    expect(await e.ok(['secret', 'ls', '-q'])).toBe(`${id}\n`);
    const rows = (await e.ok(['secret', 'ls', '--format', 'json'])).trim().split('\n');
    expect(JSON.parse(rows[0]!)).toMatchObject({ ID: id, Name: 'db_pw', Labels: 'env=test' });
    const [inspected] = JSON.parse(await e.ok(['secret', 'inspect', 'db_pw'])) as [
      { ID: string; Spec: { Name: string; Labels: Record<string, string>; Data?: string } },
    ];
    expect(inspected.ID).toBe(id);
    expect(inspected.Spec).toMatchObject({ Name: 'db_pw', Labels: { env: 'test' } });
    // The API never returns a secret's data.
    expect(inspected.Spec.Data).toBeUndefined();
    expect(await e.ok(['secret', 'inspect', '--pretty', id])).toMatch(
      new RegExp(`^ID:              ${id}\\nName:              db_pw\\nLabels:\\n - env=test\\n`),
    );
    const dup = await e.cli(['secret', 'create', 'db_pw', '-'], { input: 'x' });
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/^Error response from daemon: .*already exists/);
    expect((await e.cli(['secret', 'create', 'empty', '-'], { input: '' })).stderr).toBe(
      'error reading from STDIN: data is empty\n',
    );

    writeFileSync(join(e.dir, 'app.conf'), 'greeting = hello\n');
    const cid = (await e.ok(['config', 'create', 'app.conf', 'app.conf'])).trim();
    expect(await e.ok(['config', 'ls'])).toMatch(
      new RegExp(`^ID\\s+NAME\\s+CREATED\\s+UPDATED\\n${cid}\\s+app\\.conf\\s`),
    );
    expect(await e.ok(['config', 'inspect', '--pretty', 'app.conf'])).toMatch(/\nData:\ngreeting = hello\n\n$/);
    const [conf] = JSON.parse(await e.ok(['config', 'inspect', cid])) as [{ Spec: { Data: string } }];
    expect(Buffer.from(conf.Spec.Data, 'base64').toString()).toBe('greeting = hello\n');
  });

  test('service create --secret/--config: the values and modes in the container; in use, update in place', async () => {
    const missing = await e.cli(['service', 'create', '-d', '--secret', 'nope', 'web:1', ...SLEEPER]);
    expect(missing).toMatchObject({ code: 1, stderr: 'secret not found: nope\n' });

    await e.ok([
      'service',
      'create',
      '--name',
      'vault',
      '--secret',
      'db_pw',
      '--secret',
      'source=db_pw,target=copy,uid=0,gid=0,mode=0400',
      '--config',
      'source=app.conf,target=/etc/app.conf',
      'web:1',
      ...SLEEPER,
    ]);
    const [c] = await containersOf('vault');
    expect(await inContainer(c!, 'cat', '/run/secrets/db_pw')).toBe('s3cret-1');
    expect(await inContainer(c!, 'stat', '-c', '%a %u %g', '/run/secrets/db_pw')).toBe('444 0 0');
    expect(await inContainer(c!, 'stat', '-c', '%a', '/run/secrets/copy')).toBe('400');
    expect(await inContainer(c!, 'cat', '/etc/app.conf')).toBe('greeting = hello');

    const inUse = await e.cli(['secret', 'rm', 'db_pw']);
    expect(inUse.code).toBe(1);
    expect(inUse.stderr).toMatch(/^Error response from daemon: .*in use.*vault/);

    // Beyond docker: new data in place; the service rolls onto it.
    const upd = await e.ok(['secret', 'update', 'db_pw', '-'], { input: 's3cret-2' });
    expect(upd).toBe(
      'Updated secret db_pw: data version 1 -> 2\nIn use: service vault rolls onto it through its update_config (follow with "flotilla service ps")\n',
    );
    await eventuallyIn('vault', 's3cret-2', 'cat', '/run/secrets/db_pw');
    expect(await e.ok(['secret', 'update', 'db_pw', '-'], { input: 's3cret-2' })).toBe(
      'Secret db_pw is unchanged: the data is the same as data version 2\n',
    );

    // --secret-rm / --config-rm, as docker's: every reference to that source goes (both targets).
    await e.ok(['service', 'update', '--secret-rm', 'db_pw', '--config-rm', 'app.conf', 'vault']);
    const after = await eventually(
      async () => {
        const [id, ...more] = await containersOf('vault');
        if (!id || more.length) return false;
        const gone = await Promise.all(
          ['/run/secrets/db_pw', '/run/secrets/copy'].map(
            async (f) => (await e.cli(['exec', id, 'cat', f])).code !== 0,
          ),
        );
        return gone.every(Boolean) && id;
      },
      60_000,
      'a task without the secret files',
    );
    const spec = JSON.parse(await e.ok(['service', 'inspect', 'vault'])) as [
      { Spec: { TaskTemplate: { ContainerSpec: { Secrets?: unknown[]; Configs?: unknown[] } } } },
    ];
    expect(spec[0].Spec.TaskTemplate.ContainerSpec.Secrets ?? []).toEqual([]);
    expect(spec[0].Spec.TaskTemplate.ContainerSpec.Configs ?? []).toEqual([]);
    expect((await e.cli(['exec', after, 'cat', '/etc/app.conf'])).code).not.toBe(0);

    expect(await e.ok(['service', 'rm', 'vault'])).toBe('vault\n');
    await eventually(async () => (await containersOf('vault')).length === 0, 30_000, 'vault tasks gone');
    expect(await e.ok(['secret', 'rm', 'db_pw'])).toBe('db_pw\n');
    expect(await e.ok(['config', 'rm', 'app.conf'])).toBe('app.conf\n');
    expect(await e.ok(['secret', 'ls', '-q'])).toBe('');
  });

  test('stack deploy with a file secret, an external secret and a config; redeploy; stack rm', async () => {
    const file = join(e.dir, 'docker-compose.yml');
    writeFileSync(file, stackFile);
    writeFileSync(join(e.dir, 'db_password.txt'), 'pw-one');
    writeFileSync(join(e.dir, 'site.conf'), 'listen 80;\n');

    const noExternal = await e.cli(['stack', 'deploy', '-c', file, 'lab']);
    expect(noExternal).toMatchObject({ code: 1, stderr: 'secret not found: api_key\n' });
    expect(await e.ok(['secret', 'ls', '-q'])).toBe('');

    await e.ok(['secret', 'create', 'api_key', '-'], { input: 'key-123' });
    const deploy = await e.ok(['stack', 'deploy', '-c', file, 'lab']);
    expect(deploy).toContain('Creating secret lab_db_password\nCreating config lab_site\nCreating service lab_web\n');
    expect(deploy).toContain('verify: Service converged');
    const [lsSecret] = JSON.parse(await e.ok(['secret', 'inspect', 'lab_db_password'])) as [
      { Spec: { Labels: Record<string, string> } },
    ];
    expect(lsSecret.Spec.Labels).toEqual({ 'com.docker.stack.namespace': 'lab' });

    const [c] = await containersOf('lab_web');
    expect(await inContainer(c!, 'cat', '/run/secrets/db_password')).toBe('pw-one');
    expect(await inContainer(c!, 'cat', '/run/secrets/api.key')).toBe('key-123');
    expect(await inContainer(c!, 'stat', '-c', '%a', '/run/secrets/api.key')).toBe('400');
    expect(await inContainer(c!, 'cat', '/etc/site.conf')).toBe('listen 80;');

    // The same files again: nothing changes, no task restarts.
    const again = await e.ok(['stack', 'deploy', '-c', file, 'lab']);
    expect(again).not.toMatch(/Updating|Creating/);
    expect(await containersOf('lab_web')).toEqual([c]);

    // A changed secret file: the secret is updated in place (docker refuses this) and the service rolls.
    writeFileSync(join(e.dir, 'db_password.txt'), 'pw-two');
    const changed = await e.ok(['stack', 'deploy', '-c', file, 'lab']);
    expect(changed).toContain('Updating secret lab_db_password (data version 1 -> 2)');
    const rolled = await eventuallyIn('lab_web', 'pw-two', 'cat', '/run/secrets/db_password');
    expect(rolled).not.toBe(c);

    const rm = await e.ok(['stack', 'rm', 'lab']);
    expect(rm).toMatch(
      /^Removing service lab_web\nRemoving secret lab_db_password\nRemoving config lab_site\n(Removing network lab_default\n)?$/,
    );
    // The external secret is not the stack's: it stays.
    expect((await e.ok(['secret', 'ls', '--format', '{{.Name}}'])).trim()).toBe('api_key');
    expect(await e.ok(['config', 'ls', '-q'])).toBe('');
    await eventually(async () => (await containersOf('lab_web')).length === 0, 30_000, 'lab tasks gone');
    // No secret tmpfs is left mounted once the tasks are gone.
    await eventually(async () => e.mountsUnderRoot().length === 0, 30_000, 'no mounts left under the data root');
    expect(await e.ok(['secret', 'rm', 'api_key'])).toBe('api_key\n');
  });
});
