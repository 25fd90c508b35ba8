// Secrets and configs on a real single-node swarm daemon: the HTTP API (Docker Engine API v1.41
// shapes, a secret's data never returned, docker's refusals, flotilla's in-place data update that
// re-pins the services using it) and the unmodified docker CLI, the one on PATH (28.x here) and
// Debian's docker.io 20.10 client, running `secret create/ls/inspect/rm` and `config ...` against it.
import { execFile } from 'node:child_process';
import { DaemonProcess, dockerClients } from '../engine/daemon-process';
import { TestEngine, freePort } from '../engine/harness';

jest.setTimeout(120_000);

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('secrets and configs on a single-node swarm', () => {
  const e = new TestEngine('secrets');
  const daemon = new DaemonProcess(e);

  /** `docker <args>` against the daemon under test, stdin from `input`. */
  function docker(client: string, args: string[], input = ''): Promise<{ code: number; out: string; err: string }> {
    return new Promise((resolve) => {
      const env = { PATH: process.env.PATH, HOME: e.dir, DOCKER_HOST: e.host, DOCKER_CLI_HINTS: 'false' };
      const child = execFile(client, args, { env, timeout: 20_000 }, (err, out, errOut) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out, err: errOut }),
      );
      child.stdin!.end(input);
    });
  }

  async function ok(client: string, args: string[], input = ''): Promise<string> {
    const r = await docker(client, args, input);
    if (r.code !== 0)
      throw new Error(`${client} ${args.join(' ')} exited ${r.code}: ${r.err}\ndaemon log: ${daemon.log}`);
    return r.out;
  }

  const json = async (method: string, path: string, body?: unknown) => {
    const r = await e.api(method, `/v1.41${path}`, body === undefined ? undefined : JSON.stringify(body));
    return { status: r.status, body: r.body ? (JSON.parse(r.body) as Record<string, unknown>) : null, raw: r.body };
  };

  beforeAll(async () => {
    await daemon.start();
    const port = await freePort();
    const addr = `127.0.0.1:${port}`;
    await e.ok(['swarm', 'init', '--advertise-addr', addr, '--listen-addr', addr]);
  });

  afterAll(async () => {
    await e.cli(['swarm', 'leave', '--force']).catch(() => undefined);
    await daemon.stop();
    await e.cleanup();
  });

  test('the HTTP API: create, inspect without data, conflicts, in use, the in-place update', async () => {
    const created = await json('POST', '/secrets/create', { Name: 'db_pw', Labels: { a: 'b' }, Data: b64('s3cret') });
    expect(created.status).toBe(201);
    const id = created.body!.ID as string;
    expect(id).toMatch(/^[a-z0-9]{25}$/);
    const inspect = await json('GET', `/secrets/${id}`);
    expect(inspect.status).toBe(200);
    expect(inspect.body!.Spec).toEqual({ Name: 'db_pw', Labels: { a: 'b' } });
    expect(inspect.raw).not.toContain(b64('s3cret'));
    const listed = await json('GET', `/secrets?filters=${encodeURIComponent('{"name":{"db_":true}}')}`);
    expect((listed.body as unknown as { ID: string }[]).map((s) => s.ID)).toEqual([id]);
    expect(listed.raw).not.toContain(b64('s3cret'));

    expect(await json('POST', '/secrets/create', { Name: 'db_pw', Data: b64('x') })).toMatchObject({
      status: 409,
      body: { message: 'secret db_pw already exists' },
    });
    const big = await json('POST', '/configs/create', {
      Name: 'big',
      Data: Buffer.alloc(1000 * 1024).toString('base64'),
    });
    expect(big).toMatchObject({
      status: 400,
      body: { message: 'config data must be larger than 0 and less than 1024000 bytes' },
    });
    const conf = await json('POST', '/configs/create', { Name: 'site', Data: b64('listen 80;') });
    expect(conf.status).toBe(201);
    expect(((await json('GET', '/configs/site')).body!.Spec as { Data: string }).Data).toBe(b64('listen 80;'));

    // A service using both (no replicas: no containers), pinned to data version 1.
    const file = (name: string) => ({ Name: name, UID: '0', GID: '0', Mode: 292 });
    const svc = await json('POST', '/services/create', {
      Name: 'web',
      TaskTemplate: {
        ContainerSpec: {
          Image: 'busybox',
          Secrets: [{ SecretID: id, SecretName: 'db_pw', File: file('db_pw') }],
          Configs: [{ ConfigID: conf.body!.ID, ConfigName: 'site', File: file('/site.conf') }],
        },
      },
      Mode: { Replicated: { Replicas: 0 } },
    });
    expect(svc.status).toBe(201);
    const missing = await json('POST', '/services/create', {
      Name: 'other',
      TaskTemplate: {
        ContainerSpec: { Image: 'busybox', Secrets: [{ SecretID: 'x', SecretName: 'gone', File: file('g') }] },
      },
    });
    expect(missing).toMatchObject({ status: 400, body: { message: 'secret not found: gone' } });
    expect(await json('DELETE', `/secrets/${id}`)).toMatchObject({
      status: 400,
      body: { message: "secret 'db_pw' is in use by the following service: web" },
    });

    // flotilla's in-place update: new data, the service re-pinned in the same transaction.
    const version = (inspect.body!.Version as { Index: number }).Index;
    expect(await json('POST', `/secrets/${id}/update`, { Name: 'db_pw' })).toMatchObject({
      status: 400,
      body: { message: 'invalid secret version' },
    });
    const updated = await e.api(
      'POST',
      `/v1.41/secrets/${id}/update?version=${version}`,
      JSON.stringify({ Name: 'db_pw', Labels: { a: 'b' }, Data: b64('n3w') }),
    );
    expect(updated).toEqual({ status: 200, body: '' });
    const stale = await json('POST', `/secrets/${id}/update?version=${version}`, { Name: 'db_pw', Labels: {} });
    expect(stale.status).toBe(400);
    expect(stale.body!.message).toMatch(/^update out of sequence/);
    expect((await json('GET', `/secrets/${id}`)).body!.DataVersion).toBe(2);
    const web = (await json('GET', '/services/web')).body as {
      Spec: { TaskTemplate: { ContainerSpec: { Secrets: { DataVersion: number }[] } } };
      PreviousSpec: { TaskTemplate: { ContainerSpec: { Secrets: { DataVersion: number }[] } } };
      UpdateStatus: { State: string };
    };
    expect(web.Spec.TaskTemplate.ContainerSpec.Secrets[0]!.DataVersion).toBe(2);
    expect(web.PreviousSpec.TaskTemplate.ContainerSpec.Secrets[0]!.DataVersion).toBe(1);
    expect(web.UpdateStatus.State).toMatch(/^(updating|completed)$/);

    expect((await json('DELETE', '/services/web')).status).toBe(200);
    expect(await e.api('DELETE', `/v1.41/secrets/${id}`)).toEqual({ status: 204, body: '' });
    expect(await e.api('DELETE', '/v1.41/configs/site')).toEqual({ status: 204, body: '' });
    expect((await json('GET', `/secrets/${id}`)).status).toBe(404);
  });

  test.each(dockerClients())(
    'the unmodified docker CLI (%s): secret and config create/ls/inspect/rm',
    async (client) => {
      const version = await ok(client, ['version', '--format', '{{.Client.Version}}']).catch(() => '?');
      process.stdout.write(`docker client ${client}: ${version}`);
      const id = (await ok(client, ['secret', 'create', '--label', 'env=test', 'cli_pw', '-'], 'hunter2\n')).trim();
      expect(id).toMatch(/^[a-z0-9]{25}$/);
      const ls = (await ok(client, ['secret', 'ls'])).split('\n');
      expect(ls[0]).toMatch(/^ID\s+NAME\s+DRIVER\s+CREATED\s+UPDATED\s*$/);
      expect(ls.find((l) => l.startsWith(id))).toMatch(new RegExp(`^${id}\\s+cli_pw\\s+.*ago\\s+.*ago\\s*$`));
      const [inspected] = JSON.parse(await ok(client, ['secret', 'inspect', 'cli_pw'])) as Record<string, unknown>[];
      expect(inspected).toMatchObject({ ID: id, Spec: { Name: 'cli_pw', Labels: { env: 'test' } } });
      expect((inspected!.Spec as Record<string, unknown>).Data).toBeUndefined();
      expect(await ok(client, ['secret', 'inspect', '--pretty', 'cli_pw'])).toMatch(/^ID:\s+\S+\nName:\s+cli_pw\n/);
      const dup = await docker(client, ['secret', 'create', 'cli_pw', '-'], 'x');
      expect(dup.code).toBe(1);
      expect(dup.err).toContain('Error response from daemon: secret cli_pw already exists');
      expect((await ok(client, ['secret', 'rm', 'cli_pw'])).trim()).toBe('cli_pw');
      expect(await ok(client, ['secret', 'ls', '-q'])).toBe('');

      const cid = (await ok(client, ['config', 'create', 'cli_conf', '-'], 'key=value\n')).trim();
      expect(cid).toMatch(/^[a-z0-9]{25}$/);
      const cls = (await ok(client, ['config', 'ls'])).split('\n');
      expect(cls[0]).toMatch(/^ID\s+NAME\s+CREATED\s+UPDATED\s*$/);
      expect(cls.find((l) => l.startsWith(cid))).toMatch(/\s+cli_conf\s+/);
      const [config] = JSON.parse(await ok(client, ['config', 'inspect', 'cli_conf'])) as { Spec: { Data: string } }[];
      expect(Buffer.from(config!.Spec.Data, 'base64').toString()).toBe('key=value\n');
      expect(await ok(client, ['config', 'inspect', '--pretty', 'cli_conf'])).toMatch(/Data:\s*\nkey=value\n/);
      expect((await ok(client, ['config', 'rm', cid])).trim()).toBe(cid);
      const gone = await docker(client, ['config', 'inspect', 'cli_conf']);
      expect(gone.code).toBe(1);
      expect(gone.err).toContain('cli_conf');
    },
  );
});
