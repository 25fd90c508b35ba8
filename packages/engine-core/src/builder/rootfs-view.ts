// Read-only lookups in an image's stacked layers without mounting them: the top-most layer that
// has the path wins; an overlay whiteout (char device 0/0) hides it. Used for COPY destinations,
// parent-directory metadata and --chown name lookups.
import type { Stats } from 'node:fs';
import { lstat, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export class RootfsView {
  /** `layerDirs` bottom first, as ImageProvider.layerDirs returns them. */
  constructor(private readonly layerDirs: string[]) {}

  async stat(path: string): Promise<{ st: Stats; abs: string } | undefined> {
    for (const dir of [...this.layerDirs].reverse()) {
      const abs = join(dir, path);
      try {
        const st = await lstat(abs);
        if (st.isCharacterDevice() && st.rdev === 0) return undefined;
        return { st, abs };
      } catch {
        // not in this layer
      }
    }
    return undefined;
  }

  async readFile(path: string): Promise<string | undefined> {
    const s = await this.stat(path);
    if (!s || !s.st.isFile()) return undefined;
    return readFile(s.abs, 'utf8');
  }

  /** Resolve "user[:group]" (names or numbers) against /etc/passwd and /etc/group. */
  async resolveUser(spec: string): Promise<{ uid: number; gid: number }> {
    const [u = '', g] = spec.split(':'); // split always yields at least one item
    const lookup = async (file: string, name: string, idField: number): Promise<number> => {
      if (/^\d+$/.test(name)) return Number(name);
      const text = (await this.readFile(file)) ?? '';
      for (const line of text.split('\n')) {
        const f = line.split(':');
        if (f[0] === name) return Number(f[idField]);
      }
      throw new Error(
        `unable to find ${file === '/etc/passwd' ? 'user' : 'group'} ${name}: no matching entries in ${file.slice(5)} file`,
      );
    };
    const uid = await lookup('/etc/passwd', u, 2);
    let gid = uid;
    if (g !== undefined) gid = await lookup('/etc/group', g, 2);
    else if (!/^\d+$/.test(u)) {
      const text = (await this.readFile('/etc/passwd')) ?? '';
      const line = text.split('\n').find((l) => l.split(':')[0] === u);
      gid = Number(line?.split(':')[3] ?? uid);
    }
    return { uid, gid };
  }
}
