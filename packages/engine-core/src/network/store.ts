// The network state on disk: networks.json for the networks, one file per sandbox so that creating
// a container rewrites only its own small file. Writes are atomic (temp file + rename).
import { mkdir, readFile, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EndpointInfo, NetworkRecord, PublishedPort } from './types';

export interface NetworksFile {
  version: 1;
  /** The next bridge number for a user network (0 is the default bridge). */
  nextBridge: number;
  networks: NetworkRecord[];
}

export interface SandboxRecord {
  containerId: string;
  containerName: string;
  networkId: string;
  netnsPath: string | null;
  hostVeth: string | null;
  /** Networks joined after the first (network connect): one more veth each, eth1, eth2, ... */
  attachments?: { networkId: string; hostVeth: string; ifname: string }[];
  endpoints: EndpointInfo[];
  ports: PublishedPort[];
}

async function writeAtomic(path: string, data: unknown): Promise<void> {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(tmp, JSON.stringify(data, null, 1));
  await rename(tmp, path);
}

export class NetworkStore {
  private readonly sandboxDir: string;
  private readonly networksPath: string;

  constructor(readonly dir: string) {
    this.sandboxDir = join(dir, 'sandboxes');
    this.networksPath = join(dir, 'networks.json');
  }

  async open(): Promise<void> {
    await mkdir(this.sandboxDir, { recursive: true });
  }

  async readNetworks(): Promise<NetworksFile | undefined> {
    try {
      return JSON.parse(await readFile(this.networksPath, 'utf8')) as NetworksFile;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  writeNetworks(file: NetworksFile): Promise<void> {
    return writeAtomic(this.networksPath, file);
  }

  async readSandboxes(): Promise<SandboxRecord[]> {
    const out: SandboxRecord[] = [];
    for (const f of await readdir(this.sandboxDir)) {
      const path = join(this.sandboxDir, f);
      if (!f.endsWith('.json')) {
        // a temp file of a write the daemon did not finish
        await unlink(path).catch(() => undefined);
        continue;
      }
      try {
        out.push(JSON.parse(await readFile(path, 'utf8')) as SandboxRecord);
      } catch {
        await unlink(path).catch(() => undefined);
      }
    }
    return out;
  }

  writeSandbox(rec: SandboxRecord): Promise<void> {
    return writeAtomic(join(this.sandboxDir, `${rec.containerId}.json`), rec);
  }

  async removeSandbox(containerId: string): Promise<void> {
    await unlink(join(this.sandboxDir, `${containerId}.json`)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }
}
