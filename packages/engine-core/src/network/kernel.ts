// The kernel side of the bridge driver outside the hot path (start-up, recovery, network create and
// remove): bridges, links, namespace files. Sandboxes themselves are made by netns-helper.ts.
import { mkdir, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { CommandError } from '../errors';
import { runCommand as run } from '../util/command';

interface JsonLink {
  ifname: string;
  linkinfo?: { info_kind?: string };
}

export async function listLinks(
  prefix: string,
  opts: { signal?: AbortSignal } = {},
): Promise<{ name: string; kind: string }[]> {
  const out = await run('ip', ['-j', '-d', 'link', 'show'], opts);
  return (JSON.parse(out || '[]') as JsonLink[])
    .filter((l) => l.ifname.startsWith(prefix))
    .map((l) => ({ name: l.ifname.split('@')[0] ?? l.ifname, kind: l.linkinfo?.info_kind ?? '' }));
}

/** Creates (or repairs after a restart) a bridge with the gateway address, up. */
export async function ensureBridge(
  name: string,
  gatewayCidr: string,
  opts: { exists: boolean; signal?: AbortSignal },
): Promise<void> {
  const lines = [
    ...(opts.exists ? [] : [`link add ${name} type bridge`]),
    `addr replace ${gatewayCidr} dev ${name}`,
    `link set ${name} up`,
  ];
  await run('ip', ['-batch', '-'], { input: lines.join('\n') + '\n', signal: opts.signal });
}

/** Puts host veths (back) on their bridges; one spawn, and one missing veth does not stop the rest. */
export async function attachVeths(ports: { veth: string; bridge: string }[]): Promise<void> {
  if (ports.length === 0) return;
  const input = ports.map((p) => `link set ${p.veth} master ${p.bridge} up`).join('\n') + '\n';
  await run('ip', ['-force', '-batch', '-'], { input }).catch(() => undefined);
}

export async function deleteLink(name: string): Promise<void> {
  try {
    await run('ip', ['link', 'del', name]);
  } catch (e) {
    if (!(e instanceof CommandError && /Cannot find device|does not exist|No such device/.test(e.stderr))) throw e;
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
