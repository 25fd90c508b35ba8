// Persistence of container records: <containers>/<id>/container.json, written atomically.
import { renameSync, writeFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerRecord } from './container-types';

export const RECORD_FILE = 'container.json';

/**
 * Synchronous on purpose: a few KB into the page cache take microseconds, while two thread-pool
 * round trips per state change are what a loaded 2-core host makes slow (and ordering trivial).
 */
export function saveRecord(dir: string, rec: ContainerRecord): void {
  const file = join(dir, RECORD_FILE);
  writeFileSync(`${file}.tmp`, JSON.stringify(rec));
  renameSync(`${file}.tmp`, file);
}

/** All readable records; directories without one (a crash inside create) are returned as orphans. */
export async function loadRecords(containersDir: string): Promise<{ records: ContainerRecord[]; orphans: string[] }> {
  const records: ContainerRecord[] = [];
  const orphans: string[] = [];
  const names = await readdir(containersDir).catch(() => [] as string[]);
  await Promise.all(
    names.map(async (name) => {
      try {
        records.push(JSON.parse(await readFile(join(containersDir, name, RECORD_FILE), 'utf8')) as ContainerRecord);
      } catch {
        orphans.push(name);
      }
    }),
  );
  return { records, orphans };
}
