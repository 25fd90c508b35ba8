// Small file-system helpers for the WAL and the snapshot store: directory fsync, fixed-width hex names.
import { promises as fsp } from 'node:fs';

/** fsync a directory so a create, rename or unlink inside it survives a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export function hex16(n: number): string {
  return n.toString(16).padStart(16, '0');
}
