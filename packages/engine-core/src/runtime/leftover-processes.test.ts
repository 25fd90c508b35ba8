// Real processes and a real cgroup (root required): what a killed daemon leaves behind is found
// and ended, and nothing else is touched.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataPaths, type DataPaths } from '../paths';
import { CGROUP_ROOT } from './cgroups';
import { killLeftoverProcesses, leftoverPids } from './leftover-processes';

let base: string;
let paths: DataPaths;
let cgroup: string;
const children: ChildProcess[] = [];

function exited(p: ChildProcess): Promise<NodeJS.Signals | null> {
  return p.exitCode !== null || p.signalCode !== null
    ? Promise.resolve(p.signalCode)
    : new Promise((r) => p.once('exit', (_c, sig) => r(sig)));
}

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'flotilla-leftover-'));
  paths = dataPaths(join(base, 'data'), join(base, 'run'));
  cgroup = join(CGROUP_ROOT, 'pids', paths.cgroupParent, 'c1');
  mkdirSync(cgroup, { recursive: true });
});

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of [cgroup, join(CGROUP_ROOT, 'pids', paths.cgroupParent)]) {
    try {
      rmdirSync(d);
    } catch {
      // not made, or still busy
    }
  }
  rmSync(base, { recursive: true, force: true });
});

it("ends the processes in the daemon's container cgroups and runc on its root, and no others", async () => {
  const inCgroup = spawn('sleep', ['60'], { stdio: 'ignore' });
  // Shaped like `runc --root <root> run --bundle ...` (the argv is what is matched).
  const runcLike = spawn(
    process.execPath,
    ['-e', 'setTimeout(() => {}, 60000)', '--', '--root', paths.runcRoot, 'run'],
    { stdio: 'ignore' },
  );
  const otherRoot = spawn(
    process.execPath,
    ['-e', 'setTimeout(() => {}, 60000)', '--', '--root', `${paths.runcRoot}-other`, 'run'],
    { stdio: 'ignore' },
  );
  const bystander = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.push(inCgroup, runcLike, otherRoot, bystander);
  await new Promise((r) => setTimeout(r, 200)); // node's argv is in /proc once it runs
  writeFileSync(join(cgroup, 'cgroup.procs'), String(inCgroup.pid));

  expect((await leftoverPids(paths)).sort()).toEqual([inCgroup.pid, runcLike.pid].sort());
  expect(await killLeftoverProcesses(paths)).toBe(2);
  expect(await exited(inCgroup)).toBe('SIGKILL');
  expect(await exited(runcLike)).toBe('SIGKILL');
  expect(otherRoot.exitCode === null && otherRoot.signalCode === null).toBe(true);
  expect(bystander.exitCode === null && bystander.signalCode === null).toBe(true);
  expect(await leftoverPids(paths)).toEqual([]);
  expect(await killLeftoverProcesses(paths)).toBe(0);
});
