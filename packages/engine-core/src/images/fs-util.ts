// Small filesystem helpers of the image store: atomic writes and in-process locks.
import { randomBytes } from 'node:crypto';
import { open, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Write a file atomically: temp file in the same directory, fsync, rename. */
export async function writeFileAtomic(path: string, data: Buffer | string): Promise<void> {
  const tmp = join(dirname(path), `.tmp-${randomBytes(6).toString('hex')}`);
  const fh = await open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

/** Serialises async critical sections within one process (the daemon owns its data root). */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/** One Mutex per key (per layer diff ID, so two pulls of one layer unpack it once). */
export class KeyedMutex {
  private readonly locks = new Map<string, { m: Mutex; n: number }>();
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let l = this.locks.get(key);
    if (!l) this.locks.set(key, (l = { m: new Mutex(), n: 0 }));
    l.n++;
    try {
      return await l.m.run(fn);
    } finally {
      if (--l.n === 0) this.locks.delete(key);
    }
  }
}
