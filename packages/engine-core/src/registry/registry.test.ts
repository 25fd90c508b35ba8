// Against Debian's docker-registry (distribution 2.8) on 127.0.0.1: push, remove, pull back;
// manifest lists; htpasswd (bcrypt via perl's crypt) basic auth with login credentials.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createSign, randomBytes, X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importRootfs } from '../transfer/import';
import { Builder } from '../builder/builder';
import { NotFoundError } from '../errors';
import { sha256 } from '../images/digest';
import { ImageStore } from '../images/image-store';
import { makeBusyboxRootfsTar } from '../testing/busybox-rootfs';
import { RegistryClient } from './client';
import { CredentialStore } from './credentials';
import { RegistryError } from './errors';
import { formatProgress, type ProgressEvent } from './progress';
import { item } from '../testing/item';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

interface Registry {
  host: string;
  proc: ChildProcess;
}

async function startRegistry(dir: string, htpasswd?: string, authYaml = ''): Promise<Registry> {
  const port = await freePort();
  mkdirSync(join(dir, 'storage'), { recursive: true });
  let auth = authYaml;
  if (htpasswd) {
    writeFileSync(join(dir, 'htpasswd'), htpasswd);
    auth = `auth:\n  htpasswd:\n    realm: flotilla-test\n    path: ${join(dir, 'htpasswd')}\n`;
  }
  writeFileSync(
    join(dir, 'config.yml'),
    `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'storage')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${auth}`,
  );
  const proc = spawn('/usr/bin/docker-registry', ['serve', join(dir, 'config.yml')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/v2/`);
      await r.body?.cancel();
      return { host: `127.0.0.1:${port}`, proc };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  proc.kill('SIGKILL');
  throw new Error(`docker-registry did not start: ${stderr}`);
}

async function stopRegistry(r: Registry | undefined): Promise<void> {
  if (!r || r.proc.exitCode !== null) return;
  const exited = new Promise((res) => r.proc.once('exit', res));
  r.proc.kill('SIGTERM');
  await exited;
}

describe('registry client against docker-registry', () => {
  let root: string;
  let rootfsTar: string;
  const registries: Registry[] = [];
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'flotilla-registry-'));
    rootfsTar = makeBusyboxRootfsTar(root).tar;
  });
  afterAll(async () => {
    for (const r of registries) await stopRegistry(r);
    rmSync(root, { recursive: true, force: true });
  });

  it('pushes a two-layer image, removes it locally, pulls it back with the same ID', async () => {
    const reg = await startRegistry(join(root, 'reg1'));
    registries.push(reg);
    const store = await ImageStore.open(join(root, 'store1'));
    await importRootfs(store, createReadStream(rootfsTar), { tag: 'bb' });
    const ctx = join(root, 'ctx');
    mkdirSync(ctx);
    writeFileSync(join(ctx, 'Dockerfile'), 'FROM bb\nCOPY hello.txt /hello.txt\nCMD ["cat", "/hello.txt"]\n');
    writeFileSync(join(ctx, 'hello.txt'), 'hello registry\n');
    const name = `${reg.host}/team/hello:1`;
    const built = await new Builder({ store }).build({ contextDir: ctx, tags: [name] });

    const client = new RegistryClient({ store });
    const events: ProgressEvent[] = [];
    const pushed = await client.push(name, { onProgress: (e) => events.push(e) });
    const text = events.map(formatProgress).join('');
    expect(text).toContain(`The push refers to repository [${reg.host}/team/hello]`);
    expect(text.match(/: Pushed\n/g)).toHaveLength(2);
    expect(text).toContain(`1: digest: ${pushed.digest} size: ${pushed.size}`);
    const again: ProgressEvent[] = [];
    await client.push(name, { onProgress: (e) => again.push(e) });
    expect(again.filter((e) => e.status === 'Layer already exists')).toHaveLength(2);
    // another repository of the same registry: layers are mounted, not uploaded again
    await store.tag(name, `${reg.host}/team/copy:1`);
    const copied: ProgressEvent[] = [];
    expect((await client.push(`${reg.host}/team/copy:1`, { onProgress: (e) => copied.push(e) })).digest).toBe(
      pushed.digest,
    );
    expect(copied.filter((e) => e.status === 'Mounted from team/hello')).toHaveLength(2);
    await store.remove(`${reg.host}/team/copy:1`);

    await store.remove(name);
    await store.remove('bb');
    await expect(store.resolve(name)).rejects.toThrow(NotFoundError);

    const pulled: ProgressEvent[] = [];
    const img = await client.pull(name, { onProgress: (e) => pulled.push(e) });
    expect(img.id).toBe(built.id);
    expect(img.repoTags).toEqual([name]);
    expect(img.repoDigests).toEqual([`${reg.host}/team/hello@${pushed.digest}`]);
    const ptext = pulled.map(formatProgress).join('');
    expect(ptext).toContain('1: Pulling from team/hello\n');
    expect(ptext.match(/: Pull complete\n/g)).toHaveLength(2);
    expect(ptext).toContain(`Digest: ${pushed.digest}\nStatus: Downloaded newer image for ${name}\n`);
    const dirs = await store.layerDirs(img);
    expect(readFileSync(join(item(dirs, 1), 'hello.txt'), 'utf8')).toBe('hello registry\n');
    expect(readFileSync(join(item(dirs, 0), 'bin/busybox')).equals(readFileSync('/usr/bin/busybox'))).toBe(true);
    // by digest, and up to date the second time
    expect((await client.pull(`${reg.host}/team/hello@${pushed.digest}`)).id).toBe(built.id);
    const second: ProgressEvent[] = [];
    await client.pull(name, { onProgress: (e) => second.push(e) });
    expect(second.filter((e) => e.status === 'Already exists')).toHaveLength(2);
    expect(second.at(-1)?.status).toBe(`Status: Image is up to date for ${name}`);

    await expect(client.pull(`${reg.host}/team/hello:nope`)).rejects.toThrow(
      `manifest for ${reg.host}/team/hello:nope not found: manifest unknown`,
    );

    // a manifest list (OCI index): linux/amd64 is chosen among platforms
    const other = await importRootfs(store, createReadStream(rootfsTar), {
      tag: `${reg.host}/team/other:1`,
      changes: ['CMD ["other"]'],
    });
    const otherPush = await client.push(`${reg.host}/team/other:1`);
    await client.push(`${reg.host}/team/hello:1`);
    const armSrc = await fetch(`http://${reg.host}/v2/team/other/manifests/1`, {
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    const armBytes = Buffer.from(await armSrc.arrayBuffer());
    // the index may only reference manifests of its own repository: copy other's manifest over
    for (const d of [
      JSON.parse(armBytes.toString()).config.digest,
      ...JSON.parse(armBytes.toString()).layers.map((l: { digest: string }) => l.digest),
    ]) {
      const mount = await fetch(`http://${reg.host}/v2/team/hello/blobs/uploads/?mount=${d}&from=team/other`, {
        method: 'POST',
      });
      expect(mount.status).toBe(201);
    }
    const put = await fetch(`http://${reg.host}/v2/team/hello/manifests/${otherPush.digest}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
      body: armBytes,
    });
    expect(put.status).toBe(201);
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: otherPush.digest,
            size: armBytes.length,
            platform: { os: 'linux', architecture: 'arm64' },
          },
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: pushed.digest,
            size: pushed.size,
            platform: { os: 'linux', architecture: 'amd64' },
          },
        ],
      }),
    );
    const putIndex = await fetch(`http://${reg.host}/v2/team/hello/manifests/multi`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.oci.image.index.v1+json' },
      body: index,
    });
    expect(putIndex.status).toBe(201);
    const multi = await client.pull(`${reg.host}/team/hello:multi`);
    expect(multi.id).toBe(built.id);
    expect(multi.id).not.toBe(other.id);
    expect(multi.repoDigests).toContain(`${reg.host}/team/hello@${sha256(index)}`);
  });

  it('logs in with htpasswd basic auth, refuses bad or missing credentials, pushes and pulls with stored ones', async () => {
    const hash = execFileSync(
      'perl',
      ['-e', 'print crypt($ARGV[0], "\\$2b\\$05\\$abcdefghijklmnopqrstuu")', 's3cret'],
      { encoding: 'utf8' },
    );
    expect(hash).toMatch(/^\$2b\$05\$/);
    const reg = await startRegistry(join(root, 'reg2'), `alice:${hash}\n`);
    registries.push(reg);
    const store = await ImageStore.open(join(root, 'store2'));
    const name = `${reg.host}/private/bb:latest`;
    const img = await importRootfs(store, createReadStream(rootfsTar), { tag: name });
    const credentials = new CredentialStore(join(root, 'config.json'));
    const client = new RegistryClient({ store, credentials });

    await expect(client.push(name)).rejects.toThrow(
      `unauthorized: authentication required: run \`flotilla login ${reg.host}\` first`,
    );
    const bad = await client.login(reg.host, { username: 'alice', password: 'wrong' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(RegistryError);
    expect((bad as RegistryError).status).toBe(401);
    expect(await credentials.get(reg.host)).toBeUndefined();

    expect(await client.login(reg.host, { username: 'alice', password: 's3cret' })).toEqual({
      Status: 'Login Succeeded',
      IdentityToken: '',
    });
    const file = JSON.parse(readFileSync(join(root, 'config.json'), 'utf8')) as {
      auths: Record<string, { auth: string }>;
    };
    expect(Buffer.from(file.auths[reg.host]?.auth ?? '', 'base64').toString()).toBe('alice:s3cret');

    await client.push(name);
    const fresh = await ImageStore.open(join(root, 'store3'));
    await expect(new RegistryClient({ store: fresh }).pull(name)).rejects.toThrow(/unauthorized/);
    expect(
      (await new RegistryClient({ store: fresh }).pull(name, { auth: { username: 'alice', password: 's3cret' } })).id,
    ).toBe(img.id);
    expect((await new RegistryClient({ store: fresh, credentials }).pull(name)).id).toBe(img.id);
  });

  it('follows the Docker Hub style bearer token flow: anonymous pull token, push with credentials', async () => {
    const dir = join(root, 'token');
    mkdirSync(dir, { recursive: true });
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=flotilla-test-issuer',
      ],
      { stdio: 'ignore' },
    );
    const key = readFileSync(join(dir, 'key.pem'), 'utf8');
    const x5c = new X509Certificate(readFileSync(join(dir, 'cert.pem'))).raw.toString('base64');
    const seen: { scope: string | null; user?: string }[] = [];
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const tokenServer: Server = createHttpServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      const basic = req.headers.authorization?.startsWith('Basic ')
        ? Buffer.from(req.headers.authorization.slice(6), 'base64').toString()
        : undefined;
      const user = basic?.split(':')[0];
      seen.push({ scope: u.searchParams.get('scope'), user });
      if (basic && basic !== 'bob:hunter2') {
        res.writeHead(401).end('{"details":"incorrect username or password"}');
        return;
      }
      const access = [];
      const scope = u.searchParams.get('scope');
      if (scope) {
        const [type, name, actions = ''] = scope.split(':');
        access.push({
          type,
          name,
          actions: user ? actions.split(',') : actions.split(',').filter((a) => a === 'pull'),
        });
      }
      const now = Math.floor(Date.now() / 1000);
      const head = b64({ alg: 'RS256', typ: 'JWT', x5c: [x5c] });
      const body = b64({
        iss: 'flotilla-test-issuer',
        sub: user ?? '',
        aud: u.searchParams.get('service'),
        exp: now + 300,
        nbf: now - 10,
        iat: now,
        jti: randomBytes(8).toString('hex'),
        access,
      });
      const sig = createSign('RSA-SHA256').update(`${head}.${body}`).sign(key).toString('base64url');
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ token: `${head}.${body}.${sig}` }));
    });
    await new Promise<void>((r) => tokenServer.listen(0, '127.0.0.1', r));
    const tokenPort = (tokenServer.address() as { port: number }).port;
    try {
      const reg = await startRegistry(
        dir,
        undefined,
        `auth:\n  token:\n    realm: http://127.0.0.1:${tokenPort}/token\n    service: flotilla-test\n    issuer: flotilla-test-issuer\n    rootcertbundle: ${join(dir, 'cert.pem')}\n`,
      );
      registries.push(reg);
      const store = await ImageStore.open(join(root, 'store-token'));
      const name = `${reg.host}/team/app:2`;
      const img = await importRootfs(store, createReadStream(rootfsTar), { tag: name });
      const anonymous = new RegistryClient({ store });
      const denied = await anonymous.push(name).catch((e: unknown) => e);
      expect(denied).toBeInstanceOf(RegistryError);
      expect((denied as RegistryError).status).toBe(401);
      expect(seen.at(-1)).toEqual({ scope: 'repository:team/app:pull,push', user: undefined });

      await expect(anonymous.login(reg.host, { username: 'bob', password: 'nope' })).rejects.toThrow(
        `unauthorized: incorrect username or password for ${reg.host}`,
      );
      const credentials = new CredentialStore(join(dir, 'config.json'));
      const client = new RegistryClient({ store, credentials });
      await client.login(reg.host, { username: 'bob', password: 'hunter2' });
      const pushed = await client.push(name);
      expect(seen.at(-1)).toEqual({ scope: 'repository:team/app:pull,push', user: 'bob' });

      const fresh = await ImageStore.open(join(root, 'store-token-2'));
      const pulled = await new RegistryClient({ store: fresh }).pull(name);
      expect(pulled.id).toBe(img.id);
      expect(pulled.repoDigests).toEqual([`${reg.host}/team/app@${pushed.digest}`]);
      expect(seen.at(-1)).toEqual({ scope: 'repository:team/app:pull', user: undefined });
    } finally {
      await new Promise((r) => tokenServer.close(r));
    }
  });
});
