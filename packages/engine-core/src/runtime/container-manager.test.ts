// Real containers under runc (root required): lifecycle, limits, logs, exec, volumes, restart policies.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConflictError, NotFoundError } from '../errors';
import { dataPaths, type DataPaths } from '../paths';
import { makeBusyboxRootfs } from '../testing/busybox-rootfs';
import { VolumeStore } from '../volumes/volume-store';
import { busyboxImages } from './__fixtures__/busybox-images';
import { busyboxManager } from './__fixtures__/busybox-manager';
import { cleanupDaemonCgroups, controllerDir, leakedCgroups } from './cgroups';
import { ContainerManager } from './container-manager';
import type { ContainerCreateRequest, LogEntry, OutputChunk } from './container-types';
import { runc } from './runc';

jest.setTimeout(30_000);

// Made in beforeAll: when a -t filter skips every test, jest skips afterAll too.
let base: string;
let rootfs: string;
let paths: DataPaths;
let volumes: VolumeStore;
let m: ContainerManager;

function newManager(p: DataPaths): ReturnType<typeof busyboxManager> {
  return busyboxManager(p, rootfs, base);
}

function req(cmd: string[], extra: Partial<ContainerCreateRequest> = {}): ContainerCreateRequest {
  return { Image: 'busybox', Cmd: cmd, ...extra, HostConfig: { NetworkMode: 'none', ...(extra.HostConfig ?? {}) } };
}

async function text(it: AsyncIterable<LogEntry | OutputChunk>): Promise<string> {
  let s = '';
  for await (const e of it) s += 'line' in e ? e.line : e.data.toString();
  return s;
}

async function run(
  cmd: string[],
  extra: Partial<ContainerCreateRequest> = {},
): Promise<{ id: string; code: number; out: string }> {
  const { Id } = await m.create(req(cmd, extra));
  await m.start(Id);
  const { StatusCode } = await m.wait(Id);
  return { id: Id, code: StatusCode, out: await text(await m.logs(Id)) };
}

async function runcList(p: DataPaths): Promise<string[]> {
  return (await runc(p.runcRoot, ['list', '-q'])).stdout.split('\n').filter(Boolean);
}

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'flotilla-containers-'));
  rootfs = makeBusyboxRootfs(join(base, 'busybox'));
  writeFileSync(join(base, 'resolv.conf'), 'nameserver 127.0.0.53\nnameserver 198.18.0.1\n');
  paths = dataPaths(join(base, 'data'), join(base, 'run'));
  ({ m, volumes } = await newManager(paths));
});

afterAll(async () => {
  for (const c of m.list({ all: true })) await m.remove(c.Id, { force: true });
  await m.shutdown();
  await cleanupDaemonCgroups(paths);
  rmSync(base, { recursive: true, force: true });
});

describe('ContainerManager (real runc)', () => {
  it('runs a container whose hostname is the first 12 hex of its ID, with image env merged with -e', async () => {
    const r = await run(['sh', '-c', 'hostname; cat /etc/hostname; echo "$FOO $PATH"; cat /etc/resolv.conf'], {
      Env: ['FOO=bar'],
    });
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toBe(r.id.slice(0, 12));
    expect(lines[1]).toBe(r.id.slice(0, 12));
    expect(lines[2]).toBe('bar /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    expect(r.out).toContain('nameserver 198.18.0.1');
    expect(r.out).not.toContain('127.0.0.53');
    const i = m.inspect(r.id);
    expect(i.State).toMatchObject({ Status: 'exited', Running: false, ExitCode: 0, Pid: 0 });
    expect(i.Name).toMatch(/^\/[a-z]+_[a-z]+\d?$/);
    expect(i.Config.Hostname).toBe(r.id.slice(0, 12));
    expect(Date.parse(i.State.FinishedAt)).toBeGreaterThanOrEqual(Date.parse(i.State.StartedAt));
    await m.remove(r.id);
    expect(() => m.inspect(r.id)).toThrow(NotFoundError);
    expect(existsSync(join(paths.containers, r.id))).toBe(false);
  });

  it('propagates exit codes, including 128+signal', async () => {
    const r = await run(['sh', '-c', 'exit 3']);
    expect(r.code).toBe(3);
    expect(m.list({ all: true }).find((c) => c.Id === r.id)?.Status).toMatch(/^Exited \(3\) /);
    expect(m.list().find((c) => c.Id === r.id)).toBeUndefined();
    const k = await m.create(req(['sleep', '30']));
    await m.start(k.Id);
    await expect(m.kill(k.Id, { signal: 'TERM' })).resolves.toBeUndefined(); // pid 1 without a handler ignores it
    await m.kill(k.Id, { signal: 'SIGKILL' });
    expect((await m.wait(k.Id)).StatusCode).toBe(137);
    await expect(m.kill(k.Id)).rejects.toThrow(ConflictError);
    await m.remove(r.id);
    await m.remove(k.Id);
  });

  it('creates a missing working directory and runs as a named user', async () => {
    const r = await run(['sh', '-c', 'pwd; id -u; id -g; echo $HOME'], { WorkingDir: '/srv/app', User: 'nobody' });
    expect(r.out).toBe('/srv/app\n65534\n65534\n/nonexistent\n');
    expect(r.code).toBe(0);
    await m.remove(r.id);
    const { Id } = await m.create(req(['true'], { User: 'ghost' }));
    await expect(m.start(Id)).rejects.toThrow('unable to find user ghost: no matching entries in passwd file');
    await m.remove(Id);
  });

  it('honours --read-only, --cap-drop, --dns and --add-host', async () => {
    const r = await run(
      [
        'sh',
        '-c',
        'touch /x 2>/dev/null || echo ro; touch /tmp/y 2>/dev/null || echo ro-tmp; chown 1 /etc/hostname 2>/dev/null || echo no-chown; grep nameserver /etc/resolv.conf; grep db /etc/hosts',
      ],
      {
        HostConfig: {
          NetworkMode: 'none',
          ReadonlyRootfs: true,
          CapDrop: ['CHOWN'],
          Dns: ['198.18.0.53'],
          ExtraHosts: ['db:198.18.0.7'],
        },
      },
    );
    expect(r.out).toBe('ro\nro-tmp\nno-chown\nnameserver 198.18.0.53\n198.18.0.7\tdb\n');
    await m.remove(r.id);
  });

  it('reports a missing executable as a start error with exit code 127', async () => {
    const { Id } = await m.create(req(['/nope']));
    await expect(m.start(Id)).rejects.toThrow(/executable file not found|no such file/);
    expect(m.inspect(Id).State).toMatchObject({ Status: 'created', ExitCode: 127 });
    // A container that ran once and then fails to start again reports the failure too.
    const ok = await run(['true']);
    rmSync(join(paths.containers, ok.id, 'rootfs'), { recursive: true });
    await expect(m.start(ok.id)).rejects.toThrow(/OCI runtime create failed/);
    expect(m.inspect(ok.id).State.Status).toBe('exited');
    await m.remove(ok.id);
    expect(await runcList(paths)).toEqual([]);
    await m.remove(Id);
  });

  it('stop: SIGTERM, grace period, then SIGKILL', async () => {
    const stubborn = await m.create(req(['sh', '-c', "trap '' TERM; echo ready; while true; do sleep 0.1; done"]));
    const polite = await m.create(req(['sh', '-c', "trap 'exit 0' TERM; echo ready; while true; do sleep 0.1; done"]));
    await m.start(stubborn.Id);
    await m.start(polite.Id);
    expect(m.inspect(stubborn.Id).State.Running).toBe(true);
    await new Promise((r) => setTimeout(r, 200)); // let the traps be installed
    let t = Date.now();
    await m.stop(polite.Id, { timeout: 5 });
    expect(Date.now() - t).toBeLessThan(2000);
    expect(m.inspect(polite.Id).State.ExitCode).toBe(0);
    t = Date.now();
    await m.stop(stubborn.Id, { timeout: 1 });
    const took = Date.now() - t;
    expect(took).toBeGreaterThanOrEqual(1000);
    expect(took).toBeLessThan(4000);
    expect(m.inspect(stubborn.Id).State).toMatchObject({ Status: 'exited', ExitCode: 137 });
    await expect(m.stop(stubborn.Id)).rejects.toMatchObject({ status: 304 });
    await m.remove(stubborn.Id);
    await m.remove(polite.Id);
  });

  it('pause, unpause and restart', async () => {
    const { Id } = await m.create(req(['sh', '-c', "trap 'exit 0' TERM; while true; do sleep 0.1; done"]));
    await m.start(Id);
    const firstPid = m.inspect(Id).State.Pid;
    await m.pause(Id);
    expect(m.inspect(Id).State).toMatchObject({ Status: 'paused', Paused: true, Running: true });
    expect(readFileSync(join(controllerDir(paths, Id, 'freezer'), 'freezer.state'), 'utf8').trim()).toBe('FROZEN');
    expect(() => m.execCreate(Id, { Cmd: ['true'] })).toThrow(ConflictError);
    await m.unpause(Id);
    expect(m.inspect(Id).State).toMatchObject({ Status: 'running', Paused: false });
    await m.restart(Id, { timeout: 5 });
    const st = m.inspect(Id).State;
    expect(st.Status).toBe('running');
    expect(st.Pid).not.toBe(firstPid);
    await m.remove(Id, { force: true });
  });

  it('applies --cpus, --memory and --pids-limit to the cgroup files runc uses', async () => {
    const { Id } = await m.create(
      req(['sleep', '30'], { HostConfig: { NanoCpus: 0.1e9, Memory: 50 * 1024 * 1024, PidsLimit: 20 } }),
    );
    await m.start(Id);
    expect(readFileSync(join(controllerDir(paths, Id, 'cpu'), 'cpu.cfs_quota_us'), 'utf8').trim()).toBe('10000');
    expect(readFileSync(join(controllerDir(paths, Id, 'cpu'), 'cpu.cfs_period_us'), 'utf8').trim()).toBe('100000');
    expect(readFileSync(join(controllerDir(paths, Id, 'memory'), 'memory.limit_in_bytes'), 'utf8').trim()).toBe(
      String(50 * 1024 * 1024),
    );
    expect(readFileSync(join(controllerDir(paths, Id, 'pids'), 'pids.max'), 'utf8').trim()).toBe('20');
    // ... and the container sees its own limits.
    const x = m.execCreate(Id, { Cmd: ['cat', '/sys/fs/cgroup/cpu/cpu.cfs_quota_us', '/sys/fs/cgroup/pids/pids.max'] });
    const s = await m.execStart(x.Id);
    expect(await text(s.output)).toBe('10000\n20\n');
    const st = await m.stats(Id, { oneShot: true });
    expect(st.memory_stats.limit).toBe(50 * 1024 * 1024);
    expect(st.pids_stats).toMatchObject({ current: 1, limit: 20 });
    expect(st.cpu_stats.cpu_usage.total_usage).toBeGreaterThan(0);
    const top = await m.top(Id);
    expect(top.Processes.map((p) => p[3])).toEqual(['sleep 30']);
    await m.remove(Id, { force: true });
    expect(await leakedCgroups(paths)).toEqual([]);
  });

  it('writes logs with RFC3339Nano timestamps; tail, stream filter and follow', async () => {
    const { Id } = await m.create(req(['sh', '-c', 'echo one; echo two >&2; sleep 0.3; echo three']));
    await m.start(Id);
    const followed = await m.logs(Id, { follow: true });
    const all: LogEntry[] = [];
    for await (const e of followed) all.push(e);
    // stdout and stderr are separate pipes: order is kept per stream only.
    expect(all.filter((e) => e.stream === 'stdout').map((e) => e.line)).toEqual(['one\n', 'three\n']);
    expect(all.filter((e) => e.stream === 'stderr').map((e) => e.line)).toEqual(['two\n']);
    const [first, , third] = all;
    expect(third?.line).toBe('three\n');
    for (const e of all) expect(e.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    expect(Date.parse(third?.time ?? '') - Date.parse(first?.time ?? '')).toBeGreaterThanOrEqual(250);
    expect(await text(await m.logs(Id, { tail: 1 }))).toBe('three\n');
    expect(await text(await m.logs(Id, { stderr: false }))).toBe('one\nthree\n');
    const raw = readFileSync(m.inspect(Id).LogPath, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    expect(raw).toContainEqual({ log: 'one\n', stream: 'stdout', time: all.find((e) => e.line === 'one\n')?.time });
    await m.remove(Id);
  });

  it('exec runs in the container with output and exit code', async () => {
    const { Id } = await m.create(req(['sleep', '30'], { Env: ['IN=container'] }));
    await m.start(Id);
    const x = m.execCreate(Id, {
      Cmd: ['sh', '-c', 'echo "$IN $EXTRA $(hostname)"; echo err >&2; exit 4'],
      Env: ['EXTRA=exec'],
    });
    const s = await m.execStart(x.Id);
    const out = await text(s.output);
    expect(await s.exitCode).toBe(4);
    expect(out).toContain(`container exec ${Id.slice(0, 12)}\n`);
    expect(out).toContain('err\n');
    expect(m.execInspect(x.Id)).toMatchObject({ ExitCode: 4, Running: false, ContainerID: Id });
    expect(m.inspect(Id).ExecIDs).toEqual([x.Id]);
    const missing = await m.execStart(m.execCreate(Id, { Cmd: ['/nope'] }).Id);
    await text(missing.output);
    expect(await missing.exitCode).toBe(127);
    await m.remove(Id, { force: true });
  });

  it('pipes stdin into a container created with OpenStdin (run -i)', async () => {
    const { Id } = await m.create(
      req(['sh', '-c', 'tr a-z A-Z'], { OpenStdin: true, StdinOnce: true, AttachStdin: true }),
    );
    const { Readable } = await import('node:stream');
    const att = await m.attach(Id, { stdin: Readable.from([Buffer.from('hello\n'), Buffer.from('world\n')]) });
    const wait = m.wait(Id, { condition: 'next-exit' });
    await m.start(Id);
    expect(await text(att.output)).toBe('HELLO\nWORLD\n');
    expect((await wait).StatusCode).toBe(0);
    await m.remove(Id);
  });

  it('bind mounts (rw and ro) and named volumes created on demand', async () => {
    const host = join(base, 'hostdir');
    mkdirSync(host);
    writeFileSync(join(host, 'in.txt'), 'from host\n');
    const r = await run(
      [
        'sh',
        '-c',
        'cat /data/in.txt; echo x > /data/out.txt; echo v > /vol/v.txt; touch /ro/f 2>/dev/null || echo ro-refused',
      ],
      {
        HostConfig: { NetworkMode: 'none', Binds: [`${host}:/data`, 'myvol:/vol', `${host}:/ro:ro`] },
      },
    );
    expect(r.out).toBe('from host\nro-refused\n');
    expect(r.out).not.toContain('x');
    expect(readFileSync(join(host, 'out.txt'), 'utf8')).toBe('x\n');
    const v = volumes.get('myvol');
    expect(readFileSync(join(v.Mountpoint, 'v.txt'), 'utf8')).toBe('v\n');
    expect(m.inspect(r.id).Mounts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Type: 'volume', Name: 'myvol', Destination: '/vol', RW: true, Driver: 'local' }),
        expect.objectContaining({ Type: 'bind', Source: '/ro'.length ? host : '', Destination: '/ro', RW: false }),
      ]),
    );
    await expect(volumes.remove('myvol')).rejects.toThrow(
      new ConflictError(`remove myvol: volume is in use - [${r.id}]`),
    );
    // A second container sees the same volume content.
    const again = await run(['cat', '/vol/v.txt'], { HostConfig: { NetworkMode: 'none', Binds: ['myvol:/vol'] } });
    expect(again.out).toBe('v\n');
    await m.remove(r.id);
    await m.remove(again.id);
    await volumes.remove('myvol');
  });

  it('creates anonymous volumes for image VOLUME entries and removes them with the container', async () => {
    const v2 = new VolumeStore(join(base, 'vol2'));
    await v2.init();
    const withVolume = new ContainerManager({
      paths,
      images: busyboxImages(rootfs, { Volumes: { '/data': {} } }),
      volumes: v2,
    });
    mkdirSync(join(rootfs, 'data'), { recursive: true });
    writeFileSync(join(rootfs, 'data/from-image'), 'image content\n');
    const { Id } = await withVolume.create(req(['sh', '-c', 'echo kept > /data/f']));
    const [mount] = withVolume.inspect(Id).Mounts;
    expect(mount).toMatchObject({ Type: 'volume', Destination: '/data', RW: true });
    if (!mount) throw new Error('no mount');
    expect(mount.Name).toMatch(/^[0-9a-f]{64}$/);
    await withVolume.start(Id);
    await withVolume.wait(Id);
    expect(readFileSync(join(v2.get(mount.Name!).Mountpoint, 'f'), 'utf8')).toBe('kept\n');
    // Docker's copy-up: the image's content at the mount point was copied into the new volume.
    expect(readFileSync(join(v2.get(mount.Name!).Mountpoint, 'from-image'), 'utf8')).toBe('image content\n');
    rmSync(join(rootfs, 'data'), { recursive: true });
    await withVolume.rename(Id, 'renamed');
    expect(withVolume.inspect('renamed').Id).toBe(Id);
    expect(withVolume.counts()).toEqual({ total: 1, running: 0, paused: 0, stopped: 1 });
    await withVolume.remove(Id, { volumes: true });
    expect(v2.list().Volumes).toEqual([]);
  });

  it('answers 409 for a name in use and for removing a running container', async () => {
    const a = await m.create(req(['sleep', '30']), { name: 'web' });
    await expect(m.create(req(['true']), { name: 'web' })).rejects.toThrow(
      new ConflictError(
        `Conflict. The container name "/web" is already in use by container "${a.Id}". You have to remove (or rename) that container to be able to reuse that name.`,
      ),
    );
    await m.start('web');
    await expect(m.remove('web')).rejects.toThrow(
      new ConflictError(
        `You cannot remove a running container ${a.Id}. Stop the container before attempting removal or force remove`,
      ),
    );
    expect(m.list().map((c) => c.Names)).toEqual([['/web']]);
    expect(m.list()[0]?.Status).toMatch(/^Up /);
    await m.remove('web', { force: true });
    expect(m.list({ all: true }).find((c) => c.Id === a.Id)).toBeUndefined();
    await expect(m.create({ Image: 'nothere' })).rejects.toThrow(NotFoundError);
    await expect(m.create(req(['true'], { HostConfig: { Memory: 1000 } }))).rejects.toThrow(
      'Minimum memory limit allowed is 6MB',
    );
  });

  it('restart policies: on-failure:2 retries twice; --rm removes after exit', async () => {
    const { Id } = await m.create(
      req(['sh', '-c', 'echo try; exit 1'], {
        HostConfig: { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } },
      }),
    );
    await m.start(Id);
    for (let i = 0; i < 100 && !(m.inspect(Id).RestartCount === 2 && m.inspect(Id).State.Status === 'exited'); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(m.inspect(Id)).toMatchObject({ RestartCount: 2, State: { Status: 'exited', ExitCode: 1 } });
    expect(await text(await m.logs(Id))).toBe('try\ntry\ntry\n');
    await m.remove(Id);

    const rm = await m.create(req(['sh', '-c', 'exit 5'], { HostConfig: { AutoRemove: true } }));
    const removed = m.wait(rm.Id, { condition: 'removed' });
    await m.start(rm.Id);
    expect((await removed).StatusCode).toBe(5);
    expect(() => m.inspect(rm.Id)).toThrow(NotFoundError);
  });
});
