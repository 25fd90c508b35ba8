// The kernel side of the bridge driver: bridges, network namespaces, veth pairs. Each operation is
// one or two `ip -batch` spawns; nothing here keeps state.
import { mkdir, open, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { CommandError, run } from './exec';

interface JsonLink {
  ifname: string;
  linkinfo?: { info_kind?: string };
}

export async function listLinks(prefix: string, opts: { signal?: AbortSignal } = {}): Promise<{ name: string; kind: string }[]> {
  const out = await run('ip', ['-j', '-d', 'link', 'show'], opts);
  return (JSON.parse(out || '[]') as JsonLink[])
    .filter((l) => l.ifname.startsWith(prefix))
    .map((l) => ({ name: l.ifname.split('@')[0] ?? l.ifname, kind: l.linkinfo?.info_kind ?? '' }));
}

/** Creates (or repairs after a restart) a bridge with the gateway address, up. */
export async function ensureBridge(name: string, gatewayCidr: string, opts: { exists: boolean; signal?: AbortSignal }): Promise<void> {
  const lines = [
    ...(opts.exists ? [] : [`link add ${name} type bridge`]),
    `addr replace ${gatewayCidr} dev ${name}`,
    `link set ${name} up`,
  ];
  await run('ip', ['-batch', '-'], { input: lines.join('\n') + '\n', signal: opts.signal });
}

export async function deleteLink(name: string): Promise<void> {
  try {
    await run('ip', ['link', 'del', name]);
  } catch (e) {
    if (!(e instanceof CommandError && /Cannot find device|does not exist/.test(e.stderr))) throw e;
  }
}

export interface VethSpec {
  hostVeth: string;
  bridge: string;
  ipCidr: string;
  gateway: string;
  mac: string;
}

/**
 * A new network namespace persisted as a bind mount on `path` (like `ip netns add`), configured from
 * inside in the same spawn: lo up and, for a bridge endpoint, eth0 whose peer is created directly
 * in the daemon's namespace; a second spawn enslaves the peer to the bridge.
 */
export async function createNetns(path: string, veth: VethSpec | null, opts: { signal?: AbortSignal } = {}): Promise<void> {
  const fh = await open(path, 'wx');
  await fh.close();
  const inside = ['link set lo up'];
  if (veth) {
    inside.push(
      `link add eth0 address ${veth.mac} type veth peer name ${veth.hostVeth} netns ${process.pid}`,
      `addr add ${veth.ipCidr} dev eth0`,
      `link set eth0 up`,
      `route add default via ${veth.gateway}`,
    );
  }
  try {
    await run('unshare', [`--net=${path}`, 'ip', '-batch', '-'], { input: inside.join('\n') + '\n', signal: opts.signal });
    if (veth) await run('ip', ['link', 'set', veth.hostVeth, 'master', veth.bridge, 'up'], opts);
  } catch (e) {
    await destroyNetns(path, veth?.hostVeth ?? null).catch(() => undefined);
    throw e;
  }
}

async function unmount(path: string): Promise<void> {
  try {
    await run('umount', ['--lazy', path]);
  } catch (e) {
    if (!(e instanceof CommandError && /not mounted|no mount point|No such file/.test(e.stderr))) throw e;
  }
}

/** Unmounting the namespace file lets the namespace go once no process is left in it. */
export async function removeNetnsFile(path: string): Promise<void> {
  await unmount(path);
  await unlink(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
}

/** Deleting the host veth takes its peer with it at once, even while a process still holds the namespace. */
export async function destroyNetns(path: string, hostVeth: string | null): Promise<void> {
  await Promise.all([hostVeth ? deleteLink(hostVeth) : undefined, removeNetnsFile(path)]);
}

export async function listNetnsFiles(dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  return (await readdir(dir)).map((f) => join(dir, f));
}
