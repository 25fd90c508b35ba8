// `flotilla machine` end to end: two machines (netns + UTS namespace + own daemon) on the host
// bridge, reachable from each other, joined into one swarm, then removed without a trace.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const BIN = resolve(__dirname, '../../packages/stack-cli/bin/flotilla');
const DIST = resolve(__dirname, '../../packages/stack-cli/dist/machine/index.js');
const ENGINE_DIST = resolve(__dirname, '../../packages/engine-core/dist/index.js');

jest.setTimeout(90_000);

// Names unique per run so a crashed earlier run cannot collide with this one.
const tag = (process.pid % 100000).toString(36);
const M1 = `t${tag}a`;
const M2 = `t${tag}b`;
let storage = '';
let scratch = '';

function fl(args: string[]): { code: number; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, FLOTILLA_MACHINE_STORAGE: storage, FLOTILLA_HOST: '' },
    timeout: 60_000,
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function ok(args: string[]): string {
  const r = fl(args);
  if (r.code !== 0) throw new Error(`flotilla ${args.join(' ')} exited ${r.code}: ${r.err}${r.out}`);
  return r.out;
}

/** Running (a zombie that init has not reaped yet counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

const cgroupOf = (dataRoot: string) => `flotilla-${createHash('sha256').update(dataRoot).digest('hex').slice(0, 6)}`;

beforeAll(() => {
  if (!existsSync(DIST) || !existsSync(ENGINE_DIST))
    throw new Error(`built dist missing (${DIST}): run "npx tsc -b" first`);
  storage = mkdtempSync(join(tmpdir(), 'flm-test-'));
  // A one-binary image (busybox) for a container inside a machine.
  scratch = mkdtempSync(join(tmpdir(), 'flm-img-'));
  mkdirSync(join(scratch, 'root/bin'), { recursive: true });
  copyFileSync('/usr/bin/busybox', join(scratch, 'root/bin/busybox'));
  symlinkSync('busybox', join(scratch, 'root/bin/sleep'));
  spawnSync('tar', ['-C', join(scratch, 'root'), '-cf', join(scratch, 'bb.tar'), '.']);
});

afterAll(() => {
  // Cleans up even when a test failed half-way.
  if (storage) {
    fl(['machine', 'rm', '-f', M1, M2]);
    rmSync(storage, { recursive: true, force: true });
  }
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('flotilla machine', () => {
  const pids: number[] = [];
  const dataRoots: string[] = [];
  const ips: string[] = [];

  it('creates two machines, each running its own daemon', () => {
    ok(['machine', 'create', M1]);
    ok(['machine', 'create', M2]);
    const ls = ok(['machine', 'ls']).split('\n');
    expect(ls[0]).toMatch(/^NAME\s+ACTIVE\s+DRIVER\s+STATE\s+URL\s+SWARM\s+DOCKER\s+ERRORS$/);
    for (const name of [M1, M2]) {
      const row = ls.find((l) => l.startsWith(`${name} `));
      expect(row).toMatch(new RegExp(`^${name}\\s+-\\s+netns\\s+Running\\s+unix://${storage}/${name}/flotilla.sock$`));
      const ip = ok(['machine', 'ip', name]).trim();
      expect(ip).toMatch(/^198\.18\.0\.\d+$/);
      ips.push(ip);
      const info = JSON.parse(ok(['machine', 'inspect', '--format', 'json', name])) as {
        pid: number;
        dataRoot: string;
        State: string;
      };
      expect(info.State).toBe('Running');
      expect(alive(info.pid)).toBe(true);
      pids.push(info.pid);
      dataRoots.push(info.dataRoot);
    }
    expect(new Set(ips).size).toBe(2);
    const json = ok(['machine', 'ls', '--format', 'json'])
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { Name: string; State: string });
    expect(json.map((r) => r.Name)).toEqual([M1, M2].sort());
    expect(ok(['machine', 'env', M1])).toContain(`export FLOTILLA_HOST="unix://${storage}/${M1}/flotilla.sock"`);
    expect(fl(['machine', 'create', M1]).err).toContain(`Host already exists: "${M1}"`);
    expect(fl(['machine', 'ip', 'nosuchmachine']).err).toContain('Host does not exist: "nosuchmachine"');
  });

  it('runs commands inside a machine with its hostname and its daemon', () => {
    expect(ok(['machine', 'ssh', M1, 'hostname']).trim()).toBe(M1);
    expect(ok(['machine', 'ssh', M2, 'hostname']).trim()).toBe(M2);
    expect(ok(['machine', 'ssh', M1, 'flotilla version'])).toContain('API version:       1.41');
    expect(ok(['machine', 'ssh', M1, 'echo $FLOTILLA_HOST']).trim()).toBe(`unix://${storage}/${M1}/flotilla.sock`);
    expect(fl(['machine', 'ssh', M1, 'exit 7']).code).toBe(7);
  });

  it('connects the machines to each other', () => {
    expect(ok(['machine', 'ssh', M1, `busybox ping -c1 -W2 ${ips[1]}`])).toContain('1 packets received');
    expect(ok(['machine', 'ssh', M2, `busybox ping -c1 -W2 ${ips[0]}`])).toContain('1 packets received');
  });

  it('forms a swarm across the two machines', () => {
    ok(['machine', 'ssh', M1, `flotilla swarm init --advertise-addr ${ips[0]}`]);
    const token = ok(['machine', 'ssh', M1, 'flotilla swarm join-token -q worker']).trim();
    expect(token).toMatch(/^SWMTKN-1-/);
    expect(ok(['machine', 'ssh', M2, `flotilla swarm join --token ${token} ${ips[0]}:2377`])).toContain(
      'This node joined a swarm as a worker.',
    );
    const nodes = ok(['machine', 'ssh', M1, 'flotilla node ls']);
    expect(nodes).toMatch(new RegExp(`${M1}\\s+Ready\\s+Active\\s+Leader`));
    expect(nodes).toMatch(new RegExp(`${M2}\\s+Ready\\s+Active`));
  });

  it('runs a container in a machine', () => {
    ok(['machine', 'ssh', M1, `flotilla import ${scratch}/bb.tar bb:1 && flotilla run -d --name s1 bb:1 sleep 1000`]);
    const pid = Number(ok(['machine', 'ssh', M1, "flotilla inspect -f '{{.State.Pid}}' s1"]).trim());
    expect(alive(pid)).toBe(true);
    pids.push(pid);
  });

  it('stops and starts a machine, remaking its netns if it is gone', () => {
    ok(['machine', 'stop', M2]);
    expect(ok(['machine', 'status', M2]).trim()).toBe('Stopped');
    expect(alive(pids[1]!)).toBe(false);
    // As after a reboot: the kernel objects are gone, `start` makes them again.
    spawnSync('ip', ['link', 'del', `flmv${ips[1]!.split('.')[3]}`]);
    spawnSync('ip', ['netns', 'del', `flm-${M2}`]);
    ok(['machine', 'start', M2]);
    expect(ok(['machine', 'status', M2]).trim()).toBe('Running');
    expect(ok(['machine', 'ssh', M1, `busybox ping -c1 -W2 ${ips[1]}`])).toContain('1 packets received');
    expect(ok(['machine', 'ssh', M2, 'hostname']).trim()).toBe(M2);
  });

  it('removes the machines without leaving anything behind', () => {
    const pidsNow = [M1, M2].map((n) => (JSON.parse(ok(['machine', 'inspect', n])) as { pid: number }).pid);
    expect(ok(['machine', 'rm', '-f', M1, M2])).toContain(`Successfully removed ${M2}`);
    expect(readdirSync(storage)).toEqual([]);
    for (const pid of [...pids, ...pidsNow]) expect(alive(pid)).toBe(false);
    for (const n of [M1, M2]) {
      expect(existsSync(`/run/netns/flm-${n}`)).toBe(false);
      expect(existsSync(`/run/flotilla-machine-${n}`)).toBe(false);
    }
    for (const ip of ips) expect(existsSync(`/sys/class/net/flmv${ip.split('.')[3]}`)).toBe(false);
    expect(readFileSync('/proc/mounts', 'utf8')).not.toContain(storage);
    for (const root of dataRoots) {
      expect(existsSync(`/sys/fs/cgroup/${cgroupOf(root)}`)).toBe(false);
      expect(existsSync(`/sys/fs/cgroup/unified/${cgroupOf(root)}`)).toBe(false);
    }
    expect(fl(['machine', 'ls']).out.trim().split('\n')).toHaveLength(1);
  });
});
