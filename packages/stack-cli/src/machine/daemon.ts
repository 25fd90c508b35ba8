// The machine's own `flotilla daemon`: started detached inside the machine's netns and a UTS
// namespace whose hostname is the machine's name.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import type { MachineState } from './spec';

/** The repository's `flotilla` bin (same layout from src/machine and dist/machine). */
export const FLOTILLA_BIN = resolve(__dirname, '../../bin/flotilla');

export class MachineDaemonError extends Error {
  constructor(m: MachineState, why: string, logFile: string) {
    super(`the daemon of machine "${m.name}" ${why}: see ${logFile}`);
    this.name = 'MachineDaemonError';
  }
}

export const logFileOf = (storage: string, m: MachineState): string => join(storage, m.name, 'daemon.log');

/** Is `pid` this machine's daemon (and not a recycled pid)? */
export function daemonAlive(m: MachineState): boolean {
  if (!m.pid) return false;
  try {
    const cmdline = readFileSync(`/proc/${m.pid}/cmdline`, 'utf8');
    const stat = readFileSync(`/proc/${m.pid}/stat`, 'utf8');
    return cmdline.includes(m.dataRoot) && !/\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

function ping(socket: string): Promise<boolean> {
  return new Promise((res) => {
    const req = request({ socketPath: socket, path: '/_ping', method: 'GET', timeout: 1000 }, (r) => {
      r.resume();
      r.on('end', () => res(r.statusCode === 200));
    });
    req.on('error', () => res(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the daemon; resolves with its pid once its API answers. */
export async function startDaemon(
  storage: string,
  m: MachineState,
  opts: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<number> {
  mkdirSync(m.dataRoot, { recursive: true });
  const log = logFileOf(storage, m);
  const fd = openSync(log, 'a');
  // nsenter, unshare and sh all exec in place, so the pid we get is the daemon's. Not `ip netns
  // exec`: its private /sys hides /sys/fs/cgroup, and runc then finds no cgroup mount.
  const child = spawn(
    'nsenter',
    [
      `--net=/run/netns/${m.netns}`,
      'unshare',
      '--uts',
      '--',
      'sh',
      '-c',
      'hostname "$0" && exec "$@"',
      m.name,
      process.execPath,
      FLOTILLA_BIN,
      'daemon',
      '--data-root',
      m.dataRoot,
      '-H',
      `unix://${m.socket}`,
      '--exec-root',
      m.execRoot,
    ],
    { detached: true, stdio: ['ignore', fd, fd] },
  );
  closeSync(fd);
  const pid = child.pid;
  if (!pid) throw new MachineDaemonError(m, 'could not be started', log);
  let exited = false;
  child.on('exit', () => (exited = true));
  child.unref();
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    opts.signal?.throwIfAborted();
    if (exited) throw new MachineDaemonError(m, 'exited at start', log);
    if (existsSync(m.socket) && (await ping(m.socket))) return pid;
    await sleep(100);
  }
  throw new MachineDaemonError(m, 'did not answer within 30 s', log);
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
export async function stopDaemon(m: MachineState, graceMs = 15_000): Promise<void> {
  if (!daemonAlive(m)) return;
  process.kill(m.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (daemonAlive(m) && Date.now() < deadline) await sleep(100);
  if (daemonAlive(m)) {
    process.kill(m.pid, 'SIGKILL');
    while (daemonAlive(m)) await sleep(50);
  }
}
