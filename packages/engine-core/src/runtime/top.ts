// `docker top`: the container's processes from its cgroup and /proc (no ps(1) needed).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DataPaths } from '../paths';
import { controllerDir } from './cgroups';

export interface TopResult {
  Titles: string[];
  Processes: string[][];
}

export async function containerTop(paths: DataPaths, id: string): Promise<TopResult> {
  const procs = (await readFile(join(controllerDir(paths, id, 'pids'), 'cgroup.procs'), 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map(Number);
  const rows: string[][] = [];
  for (const pid of procs.sort((a, b) => a - b)) {
    try {
      const [status, cmdline] = await Promise.all([
        readFile(`/proc/${pid}/status`, 'utf8'),
        readFile(`/proc/${pid}/cmdline`, 'utf8'),
      ]);
      const field = (k: string) => new RegExp(`^${k}:\\s+(\\S+)`, 'm').exec(status)?.[1] ?? '';
      const cmd = cmdline.split('\0').filter(Boolean).join(' ') || `[${field('Name')}]`;
      rows.push([field('Uid'), String(pid), field('PPid'), cmd]);
    } catch {
      // exited meanwhile
    }
  }
  return { Titles: ['UID', 'PID', 'PPID', 'CMD'], Processes: rows };
}
