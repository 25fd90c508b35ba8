// The lifecycle of a local machine: create, start, stop, rm, and running commands inside it.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { FLOTILLA_BIN, daemonAlive, startDaemon, stopDaemon } from './daemon';
import { AddressTakenError, claimVeth, ensureNetwork, linkExists, removeBridgeIfUnused, removeNetwork } from './netns';
import { type MachineState, allocateIndex, machineState, validateName } from './spec';
import { listMachines, loadMachine, saveMachine } from './store';
import { sh } from './sh';

export class MachineExistsError extends Error {
  constructor(name: string) {
    super(`Host already exists: "${name}"`);
    this.name = 'MachineExistsError';
  }
}

export type MachineStatus = 'Running' | 'Stopped';
export const statusOf = (m: MachineState): MachineStatus => (daemonAlive(m) ? 'Running' : 'Stopped');

/** <storage>/bin/flotilla: put on PATH inside `machine ssh`. */
function ensureCliWrapper(storage: string): string {
  const dir = join(storage, 'bin');
  mkdirSync(dir, { recursive: true });
  const f = join(dir, 'flotilla');
  writeFileSync(f, `#!/bin/sh\nexec "${process.execPath}" "${FLOTILLA_BIN}" "$@"\n`);
  chmodSync(f, 0o755);
  return dir;
}

export async function createMachine(
  storage: string,
  name: string,
  opts: { signal?: AbortSignal } = {},
): Promise<MachineState> {
  validateName(name);
  const all = listMachines(storage);
  if (all.some((m) => m.name === name) || existsSync(join(storage, name))) throw new MachineExistsError(name);
  // Skip addresses whose veth exists: machines of another storage dir share the bridge.
  const taken = [
    ...all.map((m) => m.index),
    ...Array.from({ length: 253 }, (_, i) => i + 2).filter((i) => linkExists(`flmv${i}`)),
  ];
  // Claim the address by creating its veth; another `machine create` running at the same time
  // (another storage dir) may win it, then take the next one.
  let m: MachineState;
  for (;;) {
    m = machineState(resolve(storage), name, allocateIndex(taken), new Date());
    try {
      await claimVeth(m);
      break;
    } catch (e) {
      if (!(e instanceof AddressTakenError)) throw e;
      taken.push(m.index);
    }
  }
  mkdirSync(join(storage, name), { recursive: true });
  saveMachine(storage, m);
  ensureCliWrapper(storage);
  try {
    // Once more if it fails: a machine removed meanwhile may have taken the shared bridge with it.
    await ensureNetwork(m).catch(() => ensureNetwork(m));
    m.pid = await startDaemon(storage, m, opts);
    saveMachine(storage, m);
  } catch (e) {
    await removeMachine(storage, name).catch(() => undefined);
    throw e;
  }
  return m;
}

export async function startMachine(
  storage: string,
  name: string,
  opts: { signal?: AbortSignal } = {},
): Promise<MachineState> {
  const m = loadMachine(storage, name);
  if (daemonAlive(m)) return m;
  ensureCliWrapper(storage);
  await ensureNetwork(m);
  m.pid = await startDaemon(storage, m, opts);
  saveMachine(storage, m);
  return m;
}

export async function stopMachine(storage: string, name: string): Promise<MachineState> {
  const m = loadMachine(storage, name);
  await stopDaemon(m);
  m.pid = 0;
  saveMachine(storage, m);
  return m;
}

/** The engine's purge must see the machine's bridges and iptables, so it runs in its netns
 * (entered with nsenter: `ip netns exec` would hide /sys/fs/cgroup behind a fresh sysfs). */
async function purgeInside(m: MachineState): Promise<void> {
  const engine = resolve(__dirname, '../../../engine-core/dist/index.js');
  const script = `require(${JSON.stringify(engine)}).purgeDaemonState(${JSON.stringify(m.dataRoot)}, { runDir: ${JSON.stringify(m.execRoot)}, removeData: true }).catch((e) => { console.error(e.message); process.exit(1); })`;
  await sh(['nsenter', `--net=/run/netns/${m.netns}`, process.execPath, '-e', script]);
}

export async function removeMachine(storage: string, name: string): Promise<void> {
  const m = loadMachine(storage, name);
  await stopDaemon(m);
  await ensureNetwork(m).catch(() => undefined);
  await purgeInside(m).catch(() => undefined);
  await removeNetwork(m);
  rmSync(m.execRoot, { recursive: true, force: true });
  rmSync(join(storage, name), { recursive: true, force: true });
  await removeBridgeIfUnused();
  if (listMachines(storage).length === 0) rmSync(join(storage, 'bin'), { recursive: true, force: true });
}

/** `machine ssh`: CMD under `sh -c` in the machine's netns and UTS namespace, aimed at its daemon. */
export function sshArgs(
  storage: string,
  m: MachineState,
  cmd: string | undefined,
  env: NodeJS.ProcessEnv,
): { argv: string[]; env: NodeJS.ProcessEnv } {
  const binDir = join(resolve(storage), 'bin');
  return {
    argv: [
      'nsenter',
      `--uts=/proc/${m.pid}/ns/uts`,
      `--net=/proc/${m.pid}/ns/net`,
      'sh',
      ...(cmd === undefined ? ['-i'] : ['-c', cmd]),
    ],
    env: {
      ...env,
      FLOTILLA_HOST: `unix://${m.socket}`,
      PATH: `${binDir}:${env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`,
    },
  };
}

export function runInMachine(
  storage: string,
  name: string,
  cmd: string | undefined,
  env: NodeJS.ProcessEnv,
  io: { stdout: Writable; stderr: Writable },
): Promise<number> {
  const m = loadMachine(storage, name);
  if (!daemonAlive(m))
    throw new Error(`machine "${name}" is not running: start it with "flotilla machine start ${name}"`);
  ensureCliWrapper(storage);
  const { argv, env: e } = sshArgs(storage, m, cmd, env);
  const [bin, ...args] = argv;
  if (bin === undefined) throw new Error(`machine "${name}": no command to run`);
  return new Promise((res, rej) => {
    // Output goes through the caller's streams (captured in tests); stdin only for a shell.
    const child = spawn(bin, args, {
      stdio: [cmd === undefined ? 'inherit' : 'ignore', 'pipe', 'pipe'],
      env: e,
    });
    child.stdout.pipe(io.stdout, { end: false });
    child.stderr.pipe(io.stderr, { end: false });
    child.on('error', rej);
    child.on('close', (code, sig) => res(code ?? (sig ? 128 : 1)));
  });
}
