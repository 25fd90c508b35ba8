import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NodeTls } from './credentials';
import { NodeKeyFiles } from './lock-state';

/** What a node keeps of its swarm membership on disk (under <data-root>/swarm). */
export interface NodeState {
  nodeId: string;
  clusterId: string;
  role: 'manager' | 'worker';
  /** host:port of this node's cluster listener, and what others dial. */
  listenAddr: string;
  advertiseAddr: string;
  /** Managers to reach (workers; a manager's list comes from Raft). */
  managers: string[];
}

export class SwarmStateFiles {
  constructor(readonly dir: string) {}

  get raftDir(): string {
    return join(this.dir, 'raft');
  }

  /** The node's TLS key and Raft data key, plain or wrapped with the unlock key (autolock). */
  get keys(): NodeKeyFiles {
    return new NodeKeyFiles(join(this.dir, 'certs'));
  }

  /** The membership alone (readable while the node is locked). */
  async loadState(): Promise<NodeState | null> {
    try {
      return JSON.parse(await readFile(join(this.dir, 'state.json'), 'utf8')) as NodeState;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  /** Throws SwarmLockedError when the node's keys are wrapped (autolock) and not unlocked yet. */
  async load(): Promise<{ state: NodeState; tls: NodeTls } | null> {
    try {
      const state = JSON.parse(await readFile(join(this.dir, 'state.json'), 'utf8')) as NodeState;
      const [caCertPem, certPem] = await Promise.all(
        ['ca.crt', 'node.crt'].map((f) => readFile(join(this.dir, 'certs', f), 'utf8')),
      );
      const keyPem = await this.keys.nodeKey();
      return { state, tls: { caCertPem: caCertPem!, keyPem, certPem: certPem! } };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  async save(state: NodeState, tls: NodeTls): Promise<void> {
    await mkdir(join(this.dir, 'certs'), { recursive: true, mode: 0o700 });
    await atomicWrite(join(this.dir, 'certs', 'ca.crt'), tls.caCertPem);
    await this.keys.saveNodeKey(tls.keyPem, state.role);
    await atomicWrite(join(this.dir, 'certs', 'node.crt'), tls.certPem);
    await atomicWrite(join(this.dir, 'state.json'), JSON.stringify(state, null, 2));
  }
}

async function atomicWrite(path: string, data: string, mode = 0o644): Promise<void> {
  await writeFile(`${path}.tmp`, data, { mode });
  await rename(`${path}.tmp`, path);
}
