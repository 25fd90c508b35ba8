// Resolving Docker's --user (name|uid[:group|gid]) against the image's /etc/passwd and /etc/group.
// The container rootfs is only mounted inside the container, so files are read from the layer dirs
// (top layer first, honouring overlay whiteouts).
import { lstat, readFile } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { InvalidArgumentError } from '../errors';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}
interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const [name, , uid, gid, , home] = line.split(':');
    if (home === undefined || name === undefined || line.startsWith('#')) continue;
    out.push({ name, uid: Number(uid), gid: Number(gid), home });
  }
  return out;
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const [name, , gid, members = ''] = line.split(':');
    if (gid === undefined || name === undefined || line.startsWith('#')) continue;
    out.push({ name, gid: Number(gid), members: members.split(',').filter(Boolean) });
  }
  return out;
}

const NUMERIC = /^\d+$/;

/** Pure: resolve a user spec given the contents of /etc/passwd and /etc/group (null when absent). */
export function resolveUserSpec(spec: string, passwd: string | null, group: string | null): ResolvedUser {
  const [userPart, groupPart] = spec.split(':', 2) as [string, string | undefined];
  const users = passwd ? parsePasswd(passwd) : [];
  const groups = group ? parseGroup(group) : [];
  let uid: number;
  let gid = 0;
  let home = '/';
  let name: string | undefined;
  if (userPart === '' || userPart === undefined) {
    uid = 0;
  } else if (NUMERIC.test(userPart)) {
    uid = Number(userPart);
    const u = users.find((e) => e.uid === uid);
    if (u) {
      gid = u.gid;
      home = u.home;
      name = u.name;
    }
  } else {
    const u = users.find((e) => e.name === userPart);
    if (!u) throw new InvalidArgumentError(`unable to find user ${userPart}: no matching entries in passwd file`);
    uid = u.uid;
    gid = u.gid;
    home = u.home;
    name = u.name;
  }
  if (uid === 0 && !name) {
    const r = users.find((e) => e.uid === 0);
    if (r) {
      home = r.home;
      name = r.name;
    }
  }
  if (groupPart !== undefined && groupPart !== '') {
    if (NUMERIC.test(groupPart)) gid = Number(groupPart);
    else {
      const g = groups.find((e) => e.name === groupPart);
      if (!g) throw new InvalidArgumentError(`unable to find group ${groupPart}: no matching entries in group file`);
      gid = g.gid;
    }
  }
  const additionalGids = name ? groups.filter((g) => g.members.includes(name) && g.gid !== gid).map((g) => g.gid) : [];
  return { uid, gid, additionalGids, home };
}

/** Read a file as the overlay would show it: first layer (top-down) that has it or whiteouts it. */
export async function readLayeredFile(layerDirsBottomFirst: string[], path: string): Promise<string | null> {
  for (const dir of [...layerDirsBottomFirst].reverse()) {
    const p = join(dir, path);
    try {
      const st = await lstat(p);
      // overlayfs whiteout: a 0/0 character device hides the file from lower layers.
      if (st.isCharacterDevice() && st.rdev === 0) return null;
      if (st.isFile()) return await readFile(p, 'utf8');
      return null;
    } catch {
      // OCI-style whiteout left as a file: .wh.<name>
      try {
        await lstat(join(dir, dirname(path), `.wh.${basename(path)}`));
        return null;
      } catch {
        // not in this layer
      }
    }
  }
  return null;
}

/** Resolve a --user spec against the layered rootfs; skips reading files for the plain root case. */
export async function resolveUser(spec: string | undefined, layerDirs: string[]): Promise<ResolvedUser> {
  const s = spec ?? '';
  if (s === '' || s === '0' || s === '0:0') {
    return { uid: 0, gid: 0, additionalGids: [], home: '/root' };
  }
  const [passwd, group] = await Promise.all([
    readLayeredFile(layerDirs, 'etc/passwd'),
    readLayeredFile(layerDirs, 'etc/group'),
  ]);
  return resolveUserSpec(s, passwd, group);
}
