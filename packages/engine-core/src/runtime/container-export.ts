// docker export: the container's filesystem as one tar, read through a read-only overlay of its
// image layers and its upper dir (whiteouts applied by the kernel), unmounted when the tar ends.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { mergedView } from '../builder/stage-view';

/** A tar stream of the merged rootfs; `workDir` holds the temporary mountpoint. */
export async function exportRootfs(layerDirs: string[], upperDir: string, workDir: string): Promise<Readable> {
  const view = await mergedView([...layerDirs, upperDir], join(workDir, `export-${randomBytes(6).toString('hex')}`));
  const out = new PassThrough();
  const child = spawn('tar', ['--numeric-owner', '-C', view.dir, '-cf', '-', '.'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.pipe(out, { end: false });
  child.on('close', (code) => {
    void view.release().catch(() => undefined);
    if (code === 0) out.end();
    else out.destroy(new Error(`export failed: tar exited ${code}: ${stderr.trim()}`));
  });
  child.on('error', (e) => out.destroy(e));
  // A client that goes away stops the tar (and so releases the mount).
  out.on('close', () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  return out;
}
