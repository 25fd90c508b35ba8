// The daemon's own RLIMIT_NOFILE hard limit: containers get it (capped at Docker's usual 1048576),
// since runc cannot raise a limit above what its parent holds.
import { readFileSync } from 'node:fs';

let cached: number | undefined;

export function hostNofileLimit(): number {
  if (cached !== undefined) return cached;
  try {
    const m = /^Max open files\s+\S+\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    const hard = m ? (m[1] === 'unlimited' ? 1048576 : Number(m[1])) : 1024;
    cached = Math.min(hard, 1048576);
  } catch {
    cached = 1024;
  }
  return cached;
}
