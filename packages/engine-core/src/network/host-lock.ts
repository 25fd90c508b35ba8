// A lock shared by all daemons on the host around "pick a free subnet, then claim it with a bridge
// address": without it two daemons starting together could read the same free /24.
import { open, readFile, unlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { EngineError } from '../errors';

function holderAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function withHostLock<T>(
  path: string,
  fn: () => Promise<T>,
  opts: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  for (;;) {
    opts.signal?.throwIfAborted();
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number(await readFile(path, 'utf8').catch(() => ''));
      // A crashed daemon leaves its lock behind; an empty file is a lock being written right now.
      if (holder && !holderAlive(holder)) {
        await unlink(path).catch(() => undefined);
        continue;
      }
      if (Date.now() > deadline)
        throw new EngineError(`timed out waiting for the network lock ${path} held by pid ${holder || 'unknown'}`);
      await sleep(5);
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(path).catch(() => undefined);
  }
}
