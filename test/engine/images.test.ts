// Images end to end: build with the layer cache, docker save/load, push/pull through a local
// Debian docker-registry on 127.0.0.1.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { cliMain } from '@flotilla/stack-cli';
import { TestEngine, eventually, freePort } from './harness';

jest.setTimeout(90_000);

const engine = new TestEngine('images');
const registries: ChildProcess[] = [];
let registryAddr = '';

/** Start Debian's docker-registry on 127.0.0.1:<free port>, optionally with htpasswd auth. */
async function startRegistry(name: string, htpasswd?: string): Promise<string> {
  const addr = `127.0.0.1:${await freePort()}`;
  const cfg = join(engine.dir, `${name}.yml`);
  const auth = htpasswd ? `auth:\n  htpasswd:\n    realm: flotilla-e2e\n    path: ${htpasswd}\n` : '';
  writeFileSync(
    cfg,
    `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(engine.dir, name)}\nhttp:\n  addr: ${addr}\n${auth}`,
  );
  registries.push(spawn('/usr/bin/docker-registry', ['serve', cfg], { stdio: 'ignore' }));
  await eventually(
    async () => [200, 401].includes((await fetch(`http://${addr}/v2/`)).status),
    10_000,
    `docker-registry ${name}`,
  );
  return addr;
}

const DOCKERFILE = `FROM busybox
ARG GREETING=hello
ENV GREETING=$GREETING
WORKDIR /app
COPY . /app/
RUN echo "built by RUN" > /app/run.txt && ls /app > /listing.txt
LABEL purpose=e2e
CMD ["sh", "-c", "echo $GREETING; cat /app/msg.txt /app/run.txt /listing.txt"]
`;

function writeContext(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Dockerfile'), DOCKERFILE);
  writeFileSync(join(dir, 'msg.txt'), 'from the context\n');
  writeFileSync(join(dir, 'secret.key'), 'must not be sent\n');
  writeFileSync(join(dir, '.dockerignore'), '*.key\n');
}

beforeAll(async () => {
  await engine.start();
  await engine.importBusybox();
  registryAddr = await startRegistry('registry');
});

afterAll(async () => {
  for (const r of registries) {
    if (r.exitCode !== null) continue;
    const exited = new Promise((done) => r.once('exit', done));
    r.kill('SIGTERM');
    await exited;
  }
  await engine.cleanup();
});

test('build runs the Dockerfile; a rebuild comes from the cache in well under a second', async () => {
  const ctx = join(engine.dir, 'ctx');
  writeContext(ctx);
  const first = await engine.ok(['build', '-t', 'app:1', '--build-arg', 'GREETING=hi there', ctx]);
  expect(first).toContain('Step 1/8 : FROM busybox');
  expect(first).toMatch(/Successfully built [0-9a-f]{12}\n/);
  expect(first).toContain('Successfully tagged app:1\n');
  const run = await engine.cli(['run', '--rm', 'app:1']);
  expect(run).toEqual({
    code: 0,
    stderr: '',
    stdout: 'hi there\nfrom the context\nbuilt by RUN\nDockerfile\nmsg.txt\nrun.txt\n',
  });

  const t0 = Date.now();
  const again = await engine.ok(['build', '-t', 'app:1', '--build-arg', 'GREETING=hi there', ctx]);
  const took = Date.now() - t0;
  expect(again.match(/Using cache/g)?.length).toBe(7);
  expect(again).not.toContain('Running in');
  expect(again.match(/Successfully built ([0-9a-f]{12})/)?.[1]).toBe(
    first.match(/Successfully built ([0-9a-f]{12})/)?.[1],
  );
  expect(took).toBeLessThan(1000);

  const noCache = await engine.ok([
    'build',
    '--no-cache',
    '-q',
    '-t',
    'app:nocache',
    '--build-arg',
    'GREETING=hi there',
    ctx,
  ]);
  expect(noCache.trim()).toMatch(/^sha256:[0-9a-f]{64}$/);

  const listing = JSON.parse(
    (await engine.ok(['images', '--format', 'json'])).split('\n').find((l) => l.includes('"Tag":"1"')) ?? '{}',
  );
  expect(listing).toMatchObject({ Repository: 'app', Tag: '1' });
  const table = await engine.ok(['images']);
  expect(table.split('\n')[0]).toMatch(/^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE$/);
});

test('a Dockerfile error names the line and leaves no image', async () => {
  const ctx = join(engine.dir, 'bad');
  mkdirSync(ctx, { recursive: true });
  writeFileSync(join(ctx, 'Dockerfile'), 'FROM busybox\nCOPPY . /x\n');
  const before = await engine.ok(['images', '-q', '-a']);
  const r = await engine.cli(['build', '-t', 'bad:1', ctx]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('Dockerfile:2: unknown instruction: COPPY');
  expect(await engine.ok(['images', '-q', '-a'])).toBe(before);
  const failing = join(engine.dir, 'failing');
  mkdirSync(failing, { recursive: true });
  writeFileSync(join(failing, 'Dockerfile'), 'FROM busybox\nRUN echo partial > /p && exit 4\n');
  const f = await engine.cli(['build', '-t', 'failing:1', failing]);
  expect(f.code).toBe(1);
  expect(f.stderr).toMatch(/returned a non-zero code: 4/);
  expect((await engine.cli(['image', 'inspect', 'failing:1'])).code).toBe(1);
});

test('save -o and load -i round-trip an image', async () => {
  const tar = join(engine.dir, 'app.tar');
  await engine.ok(['save', '-o', tar, 'app:1']);
  expect(statSync(tar).size).toBeGreaterThan(1_000_000);
  const id = JSON.parse(await engine.ok(['image', 'inspect', '--format', 'json', 'app:1'])).Id as string;
  await engine.ok(['rmi', 'app:1', 'app:nocache']);
  expect((await engine.cli(['image', 'inspect', 'app:1'])).code).toBe(1);
  expect(await engine.ok(['load', '-i', tar])).toBe('Loaded image: app:1\n');
  expect(JSON.parse(await engine.ok(['image', 'inspect', '--format', 'json', 'app:1'])).Id).toBe(id);
  expect((await engine.cli(['run', '--rm', 'app:1'])).stdout).toContain('built by RUN\n');
});

test('save to a stdout slower than the daemon has written the whole archive when it returns', async () => {
  // Like `save | load` through a full pipe: the reader takes what is buffered in batches, each
  // 200 ms late, so the archive's last chunk is still buffered when the daemon's response ends.
  // The bin exits as soon as the command returns: anything still buffered then would be lost.
  const got: Buffer[] = [];
  const slow = new Writable({
    highWaterMark: 64 * 1024 * 1024,
    writev(chunks, cb) {
      setTimeout(() => {
        for (const c of chunks) got.push(c.chunk as Buffer);
        cb();
      }, 200);
    },
  });
  const env = { HOME: engine.dir, FLOTILLA_HOST: engine.host };
  const code = await cliMain(['save', 'app:1'], {
    stdout: slow,
    stderr: new PassThrough(),
    stdin: Readable.from([]),
    env,
    cwd: engine.dir,
  });
  expect(code).toBe(0);
  // Entries carry the save time as mtime: compare sizes and members, not bytes.
  const ref = join(engine.dir, 'app-ref.tar');
  await engine.ok(['save', '-o', ref, 'app:1']);
  const piped = join(engine.dir, 'app-piped.tar');
  writeFileSync(piped, Buffer.concat(got));
  expect(statSync(piped).size).toBe(statSync(ref).size);
  const members = (f: string) => execFileSync('tar', ['-tf', f], { encoding: 'utf8' });
  expect(members(piped)).toBe(members(ref));
  expect(members(piped)).toContain('manifest.json\n');
});

test('push to and pull from a local registry; run pulls a missing image', async () => {
  const login = await engine.cli(['login', '-u', 'tester', '--password-stdin', registryAddr], { input: 'secret\n' });
  expect(login).toMatchObject({ code: 0, stdout: 'Login Succeeded\n' });
  const remote = `${registryAddr}/e2e/app:v1`;
  await engine.ok(['tag', 'app:1', remote]);
  const push = await engine.ok(['push', remote]);
  expect(push).toContain(`The push refers to repository [${registryAddr}/e2e/app]`);
  expect(push).toMatch(/v1: digest: sha256:[0-9a-f]{64} size: \d+/);
  const digest = push.match(/digest: (sha256:[0-9a-f]{64})/)![1]!;
  const manifest = await fetch(`http://${registryAddr}/v2/e2e/app/manifests/v1`, {
    method: 'HEAD',
    headers: {
      Accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json',
    },
  });
  expect(manifest.headers.get('docker-content-digest')).toBe(digest);

  // Remove every local copy of the image (and what it was built from), then pull it back.
  await engine.ok(['rmi', remote]);
  await engine.ok(['rmi', '-f', 'app:1']);
  const pull = await engine.ok(['pull', remote]);
  expect(pull).toContain(`Digest: ${digest}`);
  expect(pull).toContain(`Status: Downloaded newer image for ${remote}`);
  expect((await engine.cli(['run', '--rm', remote])).stdout).toContain('from the context\n');

  await engine.ok(['rmi', remote]);
  const run = await engine.cli(['run', '--rm', remote]);
  expect(run.code).toBe(0);
  expect(run.stderr).toContain(`Unable to find image '${remote}' locally`);
  expect(run.stdout).toContain('built by RUN\n');
  expect(existsSync(join(engine.dir, '.flotilla', 'config.json'))).toBe(true);
});

test('a registry with basic auth: push is refused until login, then push and pull work', async () => {
  // bcrypt (cost 4: the registry checks it on every request), the only hash docker-registry's
  // htpasswd accepts, from the system's crypt(3).
  const hash = execFileSync(
    'python3',
    [
      '-W',
      'ignore',
      '-c',
      'import crypt; print(crypt.crypt("s3cret", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))',
    ],
    { encoding: 'utf8' },
  ).trim();
  const htpasswd = join(engine.dir, 'htpasswd');
  writeFileSync(htpasswd, `tester:${hash}\n`);
  const addr = await startRegistry('authreg', htpasswd);
  const ref = `${addr}/private/bb:1`;
  await engine.ok(['tag', 'busybox', ref]);
  const denied = await engine.cli(['push', ref]);
  expect(denied.code).toBe(1);
  expect(denied.stderr).toMatch(/unauthorized/);
  const wrong = await engine.cli(['login', '-u', 'tester', '--password-stdin', addr], { input: 'wrong\n' });
  expect(wrong.code).toBe(1);
  expect(wrong.stderr).toMatch(/^Error response from daemon: .*unauthorized/);
  expect(await engine.ok(['login', '-u', 'tester', '--password-stdin', addr], { input: 's3cret\n' })).toBe(
    'Login Succeeded\n',
  );
  expect(await engine.ok(['push', ref])).toMatch(/1: digest: sha256:[0-9a-f]{64}/);
  await engine.ok(['rmi', ref]);
  expect(await engine.ok(['pull', ref])).toContain(`Status: Downloaded newer image for ${ref}`);
});
