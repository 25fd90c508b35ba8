// What a test can see on the host of what a daemon left: the files under a root holding some bytes, the mounts under a directory.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Regular files under `root` (recursively, links not followed) whose bytes contain `text`; none: []. */
export function filesHolding(root: string, text: string): string[] {
  const hits: string[] = [];
  for (const e of readdirSync(root, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const full = join(e.parentPath, e.name);
    try {
      if (readFileSync(full).includes(text)) hits.push(full);
    } catch {
      /* removed meanwhile, or not readable */
    }
  }
  return hits;
}

/** The mount points strictly below `dir`, in the order of this process's mount table. */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p.startsWith(`${dir}/`));
}
