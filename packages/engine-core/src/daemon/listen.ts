// Binding the API socket: refuse when another daemon answers on it, replace a stale file,
// mode 0660 like docker.sock. A pid file beside the data root guards the data root itself.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { Server } from 'node:http';
import { chmod, mkdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConflictError, InvalidArgumentError } from '../errors';

export type HostAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

export function parseHost(host: string): HostAddress {
  if (host.startsWith('unix://')) {
    const path = host.slice('unix://'.length);
    if (!path.startsWith('/'))
      throw new InvalidArgumentError(`invalid --host ${host}: the socket path must be absolute`);
    return { kind: 'unix', path };
  }
  if (host.startsWith('tcp://')) {
    const u = new URL(host.replace(/^tcp:/, 'http:'));
    return { kind: 'tcp', host: u.hostname || '127.0.0.1', port: Number(u.port || 2375) };
  }
  throw new InvalidArgumentError(`invalid --host ${host}: use unix:///path/to.sock or tcp://host:port`);
}

function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Fail early (before touching any state) when a live daemon already answers on the socket. */
export async function ensureSocketFree(addr: HostAddress): Promise<void> {
  if (addr.kind !== 'unix') return;
  if (await socketAnswers(addr.path)) {
    throw new ConflictError(
      `another flotilla daemon is already listening on unix://${addr.path}: stop it first, or start this one with a different --host`,
    );
  }
}

export async function listen(server: Server, addr: HostAddress): Promise<void> {
  if (addr.kind === 'unix') {
    await mkdir(dirname(addr.path), { recursive: true });
    await ensureSocketFree(addr);
    await unlink(addr.path).catch(() => undefined);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (addr.kind === 'unix') server.listen(addr.path, resolve);
    else server.listen(addr.port, addr.host, resolve);
  });
  if (addr.kind === 'unix') await chmod(addr.path, 0o660);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A daemon killed with -9 stays a zombie until its parent reaps it: that is not a live owner.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Claim the data root for this process; a live owner means another daemon uses it. */
export async function claimPidFile(path: string): Promise<void> {
  try {
    const pid = Number((await readFile(path, 'utf8')).trim());
    if (pid && pid !== process.pid && alive(pid)) {
      throw new ConflictError(
        `pid file found, ensure flotilla daemon is not running or delete ${path} (process ${pid} holds it)`,
      );
    }
  } catch (e) {
    if (e instanceof ConflictError) throw e;
  }
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${process.pid}\n`);
}

export async function releasePidFile(path: string): Promise<void> {
  try {
    if (Number((await readFile(path, 'utf8')).trim()) === process.pid) await rm(path, { force: true });
  } catch {
    /* already gone */
  }
}
