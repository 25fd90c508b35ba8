// Test fixture: a minimal root filesystem made from the host's static busybox (Debian's
// busybox-static). Real enough to run shells, sleep, nc and httpd under runc; no registry needed.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BUSYBOX = '/usr/bin/busybox';

/** Populate `dir` with busybox and its applet links; returns `dir`. */
export function makeBusyboxRootfs(dir: string): string {
  if (!existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} not found: apt-get install busybox-static`);
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'tmp', 'proc', 'sys', 'dev', 'root', 'var', 'run']) {
    mkdirSync(join(dir, d), { recursive: true });
  }
  chmodSync(join(dir, 'tmp'), 0o1777);
  copyFileSync(BUSYBOX, join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const a of applets) {
    if (a === 'busybox') continue;
    const p = join(dir, 'bin', a);
    if (!existsSync(p)) symlinkSync('busybox', p);
  }
  writeFileSync(
    join(dir, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  );
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  return dir;
}

/** A fresh busybox rootfs in a temp dir, and a tar of it (for `import` / `ADD`). */
export function makeBusyboxRootfsTar(parent = tmpdir()): { dir: string; tar: string } {
  const base = mkdtempSync(join(parent, 'flotilla-busybox-'));
  const dir = makeBusyboxRootfs(join(base, 'rootfs'));
  const tar = join(base, 'rootfs.tar');
  execFileSync('tar', ['-C', dir, '--numeric-owner', '-cf', tar, '.']);
  return { dir, tar };
}
