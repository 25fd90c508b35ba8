// The engine end to end through the flotilla CLI and a real daemon: containers under runc.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { cliMain } from '@flotilla/stack-cli';
import { TestEngine, eventually, freePort } from './harness';

jest.setTimeout(60_000);

const engine = new TestEngine('containers');
const BIN = join(__dirname, '../../packages/stack-cli/bin/flotilla');

beforeAll(async () => {
  await engine.start();
  await engine.importBusybox();
});

afterAll(async () => {
  await engine.cleanup();
});

function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

test('version and info talk to the daemon', async () => {
  const v = await engine.ok(['version', '--format', 'json']);
  expect(JSON.parse(v).Server.ApiVersion).toBe('1.41');
  const info = JSON.parse(await engine.ok(['info', '--format', '{{json .}}']));
  expect(info.DockerRootDir).toBe(engine.dataRoot);
  expect(info.Images).toBeGreaterThanOrEqual(1);
});

test('the bin runs as a separate process (built dist)', async () => {
  // Asynchronous: the daemon under test shares this event loop.
  const r = await promisify(execFile)(process.execPath, [BIN, '-H', engine.host, 'images', '--format', 'json'], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  expect(r.stderr).toBe('');
  const rows = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { Repository: string; Tag: string });
  expect(rows).toContainEqual(expect.objectContaining({ Repository: 'busybox', Tag: 'latest' }));
});

test('import - reads a rootfs tar from stdin', async () => {
  const fixture = readdirSync(engine.dir).find((d) => d.startsWith('flotilla-busybox-'))!;
  const tar = readFileSync(join(engine.dir, fixture, 'rootfs.tar'));
  const id = (
    await engine.ok(['import', '-c', 'CMD ["echo", "imported"]', '-', 'fromstdin:v1'], { input: tar })
  ).trim();
  expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(await engine.ok(['run', '--rm', 'fromstdin:v1'])).toBe('imported\n');
  await engine.ok(['rmi', 'fromstdin:v1']);
});

test('a signal to a foreground `flotilla run` goes to the container (sig-proxy)', async () => {
  const child = spawn(
    process.execPath,
    [
      BIN,
      '-H',
      engine.host,
      'run',
      '--rm',
      '--name',
      'sigproxy',
      'busybox',
      'sh',
      '-c',
      'trap "echo trapped INT; exit 9" INT; echo ready; while true; do sleep 0.1; done',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  await eventually(async () => out.includes('ready'), 15_000, 'container output');
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGINT');
  expect(await exited).toBe(9);
  expect(out).toBe('ready\ntrapped INT\n');
  expect((await engine.cli(['inspect', 'sigproxy'])).code).toBe(1);
});

test('run returns the container exit code and prints its output; --rm removes it', async () => {
  const r = await engine.cli([
    'run',
    '--rm',
    '--name',
    'exit3',
    'busybox',
    'sh',
    '-c',
    'echo out; echo err >&2; exit 3',
  ]);
  expect(r).toEqual({ code: 3, stdout: 'out\n', stderr: 'err\n' });
  const all = await engine.ok(['ps', '-a', '--format', '{{.Names}}']);
  expect(all.split('\n')).not.toContain('exit3');
});

test('run: hostname is the short container ID, env and workdir apply', async () => {
  const r = await engine.cli([
    'run',
    '--name',
    'envy',
    '-e',
    'A=1',
    '-w',
    '/tmp',
    'busybox',
    'sh',
    '-c',
    'echo $A; pwd; hostname',
  ]);
  expect(r.code).toBe(0);
  const [a, pwd, host] = r.stdout.trim().split('\n');
  expect(a).toBe('1');
  expect(pwd).toBe('/tmp');
  const id = JSON.parse(await engine.ok(['inspect', '--format', 'json', 'envy'])).Id as string;
  expect(host).toBe(id.slice(0, 12));
  await engine.ok(['rm', 'envy']);
});

test('run -d, ps, logs, logs -f, exec, stop with grace, rm', async () => {
  const id = (
    await engine.ok([
      'run',
      '-d',
      '--name',
      'worker',
      'busybox',
      'sh',
      '-c',
      'trap "echo got TERM; exit 0" TERM; echo started; while true; do sleep 0.1; done',
    ])
  ).trim();
  expect(id).toMatch(/^[0-9a-f]{64}$/);

  const ps = await engine.ok(['ps']);
  const [header, row] = ps.split('\n');
  expect(header).toMatch(/^CONTAINER ID {3}IMAGE {5}COMMAND +CREATED +STATUS +PORTS {5}NAMES$/);
  expect(row).toContain(id.slice(0, 12));
  expect(row).toMatch(/Up (Less than a second|\d+ seconds?)/);
  expect(row).toMatch(/worker$/);
  expect((await engine.ok(['ps', '-q'])).split('\n')).toContain(id.slice(0, 12));

  await eventually(async () => (await engine.ok(['logs', 'worker'])).includes('started'), 5000, 'first log line');
  expect(await engine.ok(['logs', '--since', '1h', '--tail', '1', 'worker'])).toBe('started\n');
  expect(await engine.ok(['logs', '--since', String(Math.ceil(Date.now() / 1000) + 3600), 'worker'])).toBe('');
  const ts = await engine.ok(['logs', '-t', 'worker']);
  expect(ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z started\n/);

  const ex = await engine.cli(['exec', 'worker', 'sh', '-c', 'echo in-container; exit 7']);
  expect(ex).toEqual({ code: 7, stdout: 'in-container\n', stderr: '' });
  const exi = await engine.cli(['exec', '-i', 'worker', 'cat'], { input: 'from stdin\n' });
  expect(exi.stdout).toBe('from stdin\n');

  // logs -f follows until the container stops.
  const follow = engine.cli(['logs', '-f', 'worker']);
  const t0 = Date.now();
  const stop = await engine.cli(['stop', '-t', '5', 'worker']);
  expect(stop).toEqual({ code: 0, stdout: 'worker\n', stderr: '' });
  expect(Date.now() - t0).toBeLessThan(4000); // the trap ended it: no need for the grace period
  const followed = await follow;
  expect(followed.code).toBe(0);
  expect(followed.stdout).toBe('started\ngot TERM\n');

  const inspect = JSON.parse(await engine.ok(['inspect', '--format', 'json', 'worker']));
  expect(inspect.State).toMatchObject({ Status: 'exited', ExitCode: 0, Running: false });
  expect(await engine.ok(['ps', '-a', '--filter', 'name=worker', '--format', '{{.Status}}'])).toMatch(/^Exited \(0\) /);
  expect(await engine.ok(['rm', 'worker'])).toBe('worker\n');
  expect((await engine.cli(['inspect', 'worker'])).code).toBe(1);
});

test('stop waits the grace period, then SIGKILL (exit 137)', async () => {
  // busybox sleep as PID 1 has no SIGTERM handler, so the kernel ignores TERM.
  await engine.ok(['run', '-d', '--name', 'stubborn', 'busybox', 'sleep', '60']);
  const t0 = Date.now();
  await engine.ok(['stop', '-t', '1', 'stubborn']);
  const took = Date.now() - t0;
  expect(took).toBeGreaterThanOrEqual(1000);
  expect(took).toBeLessThan(5000);
  expect(JSON.parse(await engine.ok(['inspect', '--format', 'json', 'stubborn'])).State.ExitCode).toBe(137);
  await engine.ok(['rm', 'stubborn']);
});

test('--memory, --cpus and --pids-limit show in the container cgroup files', async () => {
  const script = [
    'if [ -f /sys/fs/cgroup/memory.max ]; then',
    '  cat /sys/fs/cgroup/memory.max; cut -d" " -f1 /sys/fs/cgroup/cpu.max; cat /sys/fs/cgroup/pids.max;',
    'else',
    '  cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/pids/pids.max;',
    'fi',
  ].join(' ');
  const r = await engine.cli([
    'run',
    '--rm',
    '-m',
    '64m',
    '--cpus',
    '0.5',
    '--pids-limit',
    '50',
    'busybox',
    'sh',
    '-c',
    script,
  ]);
  expect(r.stderr).toBe('');
  expect(r.stdout.trim().split('\n')).toEqual(['67108864', '50000', '50']);
});

test('-p publishes the container port on the given host address', async () => {
  const port = await freePort();
  await engine.ok([
    'run',
    '-d',
    '--name',
    'web',
    '-p',
    `127.0.0.1:${port}:80`,
    'busybox',
    'sh',
    '-c',
    'echo hello-from-httpd > /tmp/index.html; exec httpd -f -p 80 -h /tmp',
  ]);
  const res = await eventually(
    async () => httpGet(`http://127.0.0.1:${port}/index.html`).catch(() => undefined),
    5000,
    'published port',
  );
  expect(res).toEqual({ status: 200, body: 'hello-from-httpd\n' });
  expect((await engine.ok(['port', 'web'])).trim()).toBe(`80/tcp -> 127.0.0.1:${port}`);
  expect(await engine.ok(['ps', '--filter', 'name=web', '--format', '{{.Ports}}'])).toBe(`127.0.0.1:${port}->80/tcp\n`);
  await engine.ok(['rm', '-f', 'web']);
  await eventually(
    async () =>
      !(await httpGet(`http://127.0.0.1:${port}/`).then(
        () => true,
        () => false,
      )),
    3000,
    'port released',
  );
});

test('stats --no-stream reports the container', async () => {
  await engine.ok(['run', '-d', '--name', 'statme', '-m', '32m', 'busybox', 'sleep', '30']);
  const row = JSON.parse(await engine.ok(['stats', '--no-stream', '--format', 'json', 'statme']));
  expect(row.Name).toBe('statme');
  expect(row.MemUsage).toMatch(/ \/ 32MiB$/);
  await engine.ok(['rm', '-f', 'statme']);
});

test('events streams container lifecycle events until --until', async () => {
  const until = String(Math.floor(Date.now() / 1000) + 3);
  const watching = engine.cli(['events', '--filter', 'container=evt', '--filter', 'type=container', '--until', until]);
  await new Promise((r) => setTimeout(r, 300));
  await engine.ok(['run', '--rm', '--name', 'evt', 'busybox', 'true']);
  const r = await watching;
  expect(r.code).toBe(0);
  const actions = r.stdout
    .trim()
    .split('\n')
    .map((l) => l.split(' ')[2]);
  expect(actions.slice(0, 3)).toEqual(['create', 'start', 'die']);
  expect(r.stdout).toMatch(
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z container create [0-9a-f]{64} \(image=busybox, name=evt\)$/m,
  );
});

test('user networks: create, ls, inspect, run on it, rm', async () => {
  const id = (
    await engine.ok(['network', 'create', '--subnet', '198.18.77.0/24', '--label', 'stack=lab', 'e2enet'])
  ).trim();
  expect(id).toMatch(/^[0-9a-f]{64}$/);
  const byLabel = JSON.parse(
    (await engine.api('GET', `/networks?filters=${encodeURIComponent(JSON.stringify({ label: ['stack=lab'] }))}`)).body,
  ) as { Name: string }[];
  expect(byLabel.map((n) => n.Name)).toEqual(['e2enet']);
  expect(
    JSON.parse(
      (await engine.api('GET', `/networks?filters=${encodeURIComponent(JSON.stringify({ label: ['stack=other'] }))}`))
        .body,
    ),
  ).toEqual([]);
  const ls = (await engine.ok(['network', 'ls', '--format', 'json']))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { Name: string; Driver: string });
  expect(ls).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ Name: 'e2enet', Driver: 'bridge' }),
      expect.objectContaining({ Name: 'bridge' }),
    ]),
  );
  expect(await engine.ok(['network', 'inspect', '--format', '{{json .IPAM.Config}}', 'e2enet'])).toBe(
    '[{"Subnet":"198.18.77.0/24","Gateway":"198.18.77.1"}]\n',
  );
  const addr = await engine.ok([
    'run',
    '--rm',
    '--network',
    'e2enet',
    'busybox',
    'sh',
    '-c',
    'ip -4 -o addr show eth0 | awk "{print \\$4}"',
  ]);
  expect(addr).toMatch(/^198\.18\.77\.\d+\/24\n$/);
  expect(await engine.ok(['network', 'rm', 'e2enet'])).toBe('e2enet\n');
  expect((await engine.cli(['network', 'inspect', 'e2enet'])).code).toBe(1);
});

test('named volumes and bind mounts', async () => {
  expect(await engine.ok(['volume', 'create', 'e2evol'])).toBe('e2evol\n');
  await engine.ok(['run', '--rm', '-v', 'e2evol:/data', 'busybox', 'sh', '-c', 'echo kept > /data/f']);
  expect(await engine.ok(['run', '--rm', '-v', 'e2evol:/data:ro', 'busybox', 'cat', '/data/f'])).toBe('kept\n');
  const vol = JSON.parse(await engine.ok(['volume', 'inspect', '--format', 'json', 'e2evol']));
  expect(vol).toMatchObject({ Name: 'e2evol', Driver: 'local' });
  expect(readFileSync(join(vol.Mountpoint, 'f'), 'utf8')).toBe('kept\n');
  expect(await engine.ok(['volume', 'ls', '-q'])).toContain('e2evol\n');
  expect(await engine.ok(['volume', 'rm', 'e2evol'])).toBe('e2evol\n');
  const host = join(engine.dir, 'bind');
  mkdirSync(host);
  writeFileSync(join(host, 'in.txt'), 'from host\n');
  expect(
    await engine.ok([
      'run',
      '--rm',
      '-v',
      `${host}:/mnt`,
      'busybox',
      'sh',
      '-c',
      'cat /mnt/in.txt; echo back > /mnt/out.txt',
    ]),
  ).toBe('from host\n');
  expect(readFileSync(join(host, 'out.txt'), 'utf8')).toBe('back\n');
});

test('-v binds an existing file and a unix socket as they are (the visualizer mounts the daemon socket); --mount', async () => {
  const host = join(engine.dir, 'bind-file');
  mkdirSync(host);
  writeFileSync(join(host, 'one.conf'), 'just this file\n');
  expect(
    await engine.ok([
      'run',
      '--rm',
      '-v',
      `${join(host, 'one.conf')}:/etc/one.conf:ro`,
      'busybox',
      'cat',
      '/etc/one.conf',
    ]),
  ).toBe('just this file\n');
  const sock = join(host, 'api.sock');
  const server = createServer((c) => c.end());
  await new Promise<void>((r) => server.listen(sock, r));
  try {
    expect(
      await engine.ok([
        'run',
        '--rm',
        '-v',
        `${sock}:/var/run/api.sock`,
        'busybox',
        'sh',
        '-c',
        'test -S /var/run/api.sock && echo socket',
      ]),
    ).toBe('socket\n');
  } finally {
    server.close();
  }
  // --mount binds what exists and, like docker, refuses a missing source instead of creating it.
  expect(
    await engine.ok([
      'run',
      '--rm',
      '--mount',
      `type=bind,source=${host},target=/mnt,readonly`,
      'busybox',
      'sh',
      '-c',
      'cat /mnt/one.conf; touch /mnt/x 2>/dev/null || echo read-only',
    ]),
  ).toBe('just this file\nread-only\n');
  const missing = join(host, 'missing');
  const r = await engine.cli(['run', '--rm', '--mount', `type=bind,source=${missing},target=/mnt`, 'busybox', 'true']);
  expect(r.code).toBe(125);
  expect(r.stderr).toContain(`invalid mount config for type "bind": bind source path does not exist: ${missing}`);
  expect(existsSync(missing)).toBe(false);
});

test('prune: stopped containers, unused volumes, dangling images; a "no" keeps everything', async () => {
  await engine.ok(['run', '--name', 'stopped1', 'busybox', 'true']);
  const running = (await engine.ok(['run', '-d', '--name', 'keeper', 'busybox', 'sleep', '30'])).trim();
  const declined = await engine.cli(['container', 'prune'], { input: 'n\n' });
  expect(declined.stdout).toContain(
    'WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ',
  );
  expect(await engine.ok(['ps', '-a', '-q', '--filter', 'name=stopped1'])).not.toBe('');
  const stoppedId = JSON.parse(await engine.ok(['inspect', '--format', 'json', 'stopped1'])).Id as string;
  const pruned = await engine.ok(['container', 'prune'], { input: 'y\n' });
  expect(pruned).toContain(`Deleted Containers:\n${stoppedId}\n`);
  expect(pruned).toMatch(/Total reclaimed space: \d/);
  expect((await engine.cli(['inspect', 'stopped1'])).code).toBe(1);
  expect((await engine.ok(['ps', '-q', '--no-trunc'])).split('\n')).toContain(running);
  await engine.ok(['rm', '-f', 'keeper']);
  await engine.ok(['volume', 'create', 'unused-vol']);
  expect(await engine.ok(['volume', 'prune', '-f', '-a'])).toContain('Deleted Volumes:\nunused-vol\n');
  expect(await engine.ok(['system', 'prune', '-f'])).toMatch(/Total reclaimed space/);
  expect(await engine.ok(['images', '-q'])).not.toBe('');
});

test('pause, unpause, rename, attach', async () => {
  await engine.ok([
    'run',
    '-d',
    '--name',
    'pausable',
    'busybox',
    'sh',
    '-c',
    'i=0; while true; do i=$((i+1)); echo tick$i; sleep 0.2; done',
  ]);
  expect(await engine.ok(['pause', 'pausable'])).toBe('pausable\n');
  expect(await engine.ok(['ps', '--filter', 'name=pausable', '--format', '{{.Status}}'])).toMatch(/\(Paused\)/);
  const before = (await engine.ok(['logs', 'pausable'])).split('\n').length;
  await new Promise((r) => setTimeout(r, 600));
  expect((await engine.ok(['logs', 'pausable'])).split('\n').length).toBe(before);
  expect(await engine.ok(['unpause', 'pausable'])).toBe('pausable\n');
  await engine.ok(['rename', 'pausable', 'renamed']);
  expect(await engine.ok(['ps', '--format', '{{.Names}}'])).toContain('renamed\n');
  // attach streams live output until the container stops.
  const attached = engine.cli(['attach', 'renamed']);
  await new Promise((r) => setTimeout(r, 700));
  await engine.ok(['kill', 'renamed']);
  const a = await attached;
  expect(a.code).toBe(137);
  expect(a.stdout).toMatch(/^(tick\d+\n)+$/);
  await engine.ok(['rm', 'renamed']);
});

describe('errors say what is wrong', () => {
  test('a name conflict is 409 and run exits 125', async () => {
    await engine.ok(['run', '-d', '--name', 'dup', 'busybox', 'sleep', '30']);
    const r = await engine.cli(['run', '-d', '--name', 'dup', 'busybox', 'true']);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain('Conflict. The container name "/dup" is already in use');
    const api = await engine.api('POST', '/v1.41/containers/create?name=dup', JSON.stringify({ Image: 'busybox' }));
    expect(api.status).toBe(409);
  });

  test('rm of a running container without -f is 409; -f removes it', async () => {
    const r = await engine.cli(['rm', 'dup']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^Error response from daemon: You cannot remove a running container [0-9a-f]{64}\. Stop the container before attempting removal or force remove\n$/,
    );
    expect((await engine.api('DELETE', '/containers/dup')).status).toBe(409);
    expect(await engine.ok(['rm', '-f', 'dup'])).toBe('dup\n');
  });

  test('a bad --memory value is refused by the CLI, a too small one by the daemon', async () => {
    const bad = await engine.cli(['run', '-m', 'lots', 'busybox', 'true']);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toContain(`invalid argument "lots" for "-m, --memory" flag`);
    const small = await engine.cli(['run', '-m', '1k', 'busybox', 'true']);
    expect(small.code).toBe(125);
    expect(small.stderr).toContain('Minimum memory limit allowed is 6MB');
  });

  test('a missing image is looked for in its registry, then reported', async () => {
    const port = await freePort();
    const r = await engine.cli(['run', `127.0.0.1:${port}/nosuch`]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain(`Unable to find image '127.0.0.1:${port}/nosuch:latest' locally`);
    expect(r.stderr).toMatch(/Error response from daemon: .*127\.0\.0\.1:\d+/);
  });

  test('a host port in use is reported and leaves no running container', async () => {
    const port = await freePort();
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const r = await engine.cli([
        'run',
        '-d',
        '--name',
        'blocked',
        '-p',
        `127.0.0.1:${port}:80`,
        'busybox',
        'sleep',
        '30',
      ]);
      expect(r.code).toBe(125);
      expect(r.stderr).toContain('port is already allocated');
      expect(await engine.ok(['ps', '-q', '--filter', 'name=blocked'])).toBe('');
    } finally {
      blocker.close();
      await engine.cli(['rm', '-f', 'blocked']);
    }
  });

  test('malformed requests get 400/404 and never crash the daemon', async () => {
    expect(await engine.api('POST', '/v1.41/containers/create', '{not json')).toMatchObject({ status: 400 });
    const noImage = await engine.api('POST', '/containers/create', JSON.stringify({ Cmd: 'x' }));
    expect(noImage.status).toBe(400);
    expect(JSON.parse(noImage.body).message).toMatch(/Image/);
    expect(
      await engine.api(
        'POST',
        '/containers/create',
        JSON.stringify({ Image: 'busybox', HostConfig: { Memory: 'lots' } }),
      ),
    ).toMatchObject({ status: 400 });
    expect(await engine.api('GET', '/containers/json?all=maybe')).toMatchObject({ status: 400 });
    expect(await engine.api('GET', '/containers/nosuch/logs?stdout=1')).toMatchObject({ status: 404 });
    expect(await engine.api('GET', '/v1.41/nope')).toEqual({ status: 404, body: '{"message":"page not found"}' });
    expect(
      await engine.api('POST', '/containers/create?name=bad%20name', JSON.stringify({ Image: 'busybox' })),
    ).toMatchObject({ status: 400 });
    const ping = await engine.api('GET', '/_ping');
    expect(ping).toEqual({ status: 200, body: 'OK' });
    expect(existsSync(engine.socket)).toBe(true);
  });

  test('a command that is missing exits 127, one that cannot be invoked 126', async () => {
    const missing = await engine.cli(['run', '--rm', 'busybox', 'nosuchcmd']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain('executable file not found');
    const notExec = await engine.cli(['run', '--rm', 'busybox', '/etc/passwd']);
    expect(notExec.code).toBe(126);
    expect(notExec.stderr).toContain('permission denied');
  });

  test('a daemon that is not running: docker-style message, exit 1', async () => {
    const r = await engine.cli(['ps'], { env: {} });
    expect(r.code).toBe(0);
    const missing = join(engine.dir, 'nobody.sock');
    const err = new PassThrough();
    let text = '';
    err.on('data', (c: Buffer) => (text += c.toString()));
    const code = await cliMain(['-H', `unix://${missing}`, 'ps'], {
      stdout: new PassThrough(),
      stderr: err,
      stdin: Readable.from([]),
      env: {},
      cwd: engine.dir,
    });
    expect(code).toBe(1);
    expect(text).toBe(`Cannot connect to the flotilla daemon at unix://${missing}. Is the flotilla daemon running?\n`);
  });
});
