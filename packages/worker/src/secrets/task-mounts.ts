// Per-task tmpfs for secrets and configs: <run dir>/<daemon instance>/secrets/<task ID>, mode
// 0700, sized to its files, read-only once written; the files are bound one by one into the
// container. Nothing of it touches a disk. Unmounted when the task's container stops or goes,
// and every one of this daemon's on agent start (a crashed run's) and stop.
import { chmod, chown, mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand, type Logger } from '@flotilla/engine-core';
import { tmpfsSize, type TaskFile } from './placement';

/** A file bound into the container (read-only). */
export interface FileMount {
  source: string;
  target: string;
}

const TASK_ID = /^[A-Za-z0-9_-]+$/;

/** Mount points (field 5 of mountinfo, octal escapes undone) at or below `dir`. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => !!p)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
}

export class TaskFileMounts {
  /** One operation at a time per task (a stop and a remove may race). */
  private readonly queue = new Map<string, Promise<unknown>>();

  constructor(private readonly o: { dir: string; log?: Logger }) {}

  dirOf(taskId: string): string {
    if (!TASK_ID.test(taskId)) throw new Error(`bad task ID for a secrets mount: ${JSON.stringify(taskId)}`);
    return join(this.o.dir, taskId);
  }

  /** Mounts the task's tmpfs, writes its files and returns the binds the container gets. */
  mount(taskId: string, files: TaskFile[]): Promise<FileMount[]> {
    return this.serial(taskId, async () => {
      const dir = this.dirOf(taskId);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const opts = `size=${tmpfsSize(files)},mode=0700,nosuid,nodev,noexec`;
      if ((await mountsUnder(dir)).includes(dir)) await runCommand('mount', ['-o', `remount,rw,${opts}`, dir]);
      else await runCommand('mount', ['-t', 'tmpfs', '-o', opts, 'flotilla-secrets', dir]);
      try {
        for (const f of files) {
          const path = join(dir, f.name);
          await writeFile(path, f.data, { mode: 0o600 });
          await chown(path, f.uid, f.gid);
          await chmod(path, f.mode);
        }
        await runCommand('mount', ['-o', `remount,ro,${opts}`, dir]);
      } catch (e) {
        await this.release(taskId);
        throw e;
      }
      return files.map((f) => ({ source: join(dir, f.name), target: f.target }));
    });
  }

  /** Unmounts and removes the task's tmpfs, if there is one. */
  unmount(taskId: string): Promise<void> {
    return this.serial(taskId, () => this.release(taskId));
  }

  /** Every task tmpfs of this daemon (agent start: a crashed run's leftovers; agent stop). */
  async unmountAll(): Promise<void> {
    const ids = await readdir(this.o.dir).catch(() => [] as string[]);
    for (const id of ids) if (TASK_ID.test(id)) await this.unmount(id);
    await rmdir(this.o.dir).catch(() => undefined);
  }

  private async release(taskId: string): Promise<void> {
    const dir = this.dirOf(taskId);
    for (const mp of (await mountsUnder(dir)).reverse()) {
      await runCommand('umount', [mp]).catch(async (e: Error) => {
        this.o.log?.warn({ task: taskId, err: e.message }, 'secrets tmpfs busy: detaching it');
        await runCommand('umount', ['-l', mp]);
      });
    }
    await rmdir(dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT')
        this.o.log?.warn({ task: taskId, err: e.message }, 'cannot remove a secrets mount point');
    });
  }

  private serial<T>(taskId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queue.get(taskId) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.catch(() => undefined);
    this.queue.set(taskId, settled);
    void settled.then(() => {
      if (this.queue.get(taskId) === settled) this.queue.delete(taskId);
    });
    return next;
  }
}
