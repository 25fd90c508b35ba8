import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { makeBusyboxRootfsTar } from './busybox-rootfs';

test('the busybox fixture has a shell and a tar of itself', () => {
  const { dir, tar } = makeBusyboxRootfsTar();
  try {
    expect(existsSync(join(dir, 'bin/sh'))).toBe(true);
    expect(existsSync(tar)).toBe(true);
  } finally {
    rmSync(dirname(dir), { recursive: true, force: true });
  }
});
