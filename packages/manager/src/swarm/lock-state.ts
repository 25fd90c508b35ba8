// A node's secrets on disk under <swarm>/certs: its TLS key and its Raft data key (DEK). Plain
// (node.key, keys.json {"dek"}) while autolock is off; with autolock on, both live only wrapped
// with the unlock key (keys.json {"locked"}) and node.key is gone. Unwrapped secrets are held in
// memory for the life of the process (per directory), as a manager needs them to run.
import { open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { newDataKey } from './data-key';
import { NotLockedError, SwarmLockedError } from './lock-errors';
import { unwrapKeys, wrapKeys, type WrappedKeys } from './unlock-key';

interface KeysFile {
  dek?: string;
  locked?: WrappedKeys;
}

interface Held {
  dek: Buffer | null;
  nodeKeyPem: string;
  /** The unlock key the files on disk are wrapped with (null: plain). */
  unlockKey: string | null;
}

const held = new Map<string, Held>();

export class NodeKeyFiles {
  constructor(readonly certsDir: string) {}

  private get keysPath(): string {
    return join(this.certsDir, 'keys.json');
  }

  private get nodeKeyPath(): string {
    return join(this.certsDir, 'node.key');
  }

  private async readKeys(): Promise<KeysFile | null> {
    try {
      return JSON.parse(await readFile(this.keysPath, 'utf8')) as KeysFile;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  /** True when the secrets on disk are wrapped and this process has not unlocked them. */
  async isLocked(): Promise<boolean> {
    if (held.has(this.certsDir)) return false;
    return !!(await this.readKeys())?.locked;
  }

  /** `swarm unlock`: unwraps the secrets with `unlockKey` (InvalidUnlockKeyError when it is not theirs). */
  async unlock(unlockKey: string): Promise<void> {
    const f = await this.readKeys();
    if (!f?.locked || held.has(this.certsDir)) throw new NotLockedError();
    const s = unwrapKeys(unlockKey, f.locked);
    held.set(this.certsDir, { dek: s.dek ? Buffer.from(s.dek, 'base64') : null, nodeKeyPem: s.nodeKeyPem, unlockKey });
    // A plain copy left by a crash between wrapping and removing it.
    await rm(this.nodeKeyPath, { force: true });
  }

  /** The secrets, from memory or the plain files; SwarmLockedError while they are wrapped. */
  private async material(): Promise<Held> {
    const h = held.get(this.certsDir);
    if (h) return h;
    const f = await this.readKeys();
    if (f?.locked) throw new SwarmLockedError();
    const nodeKeyPem = await readFile(this.nodeKeyPath, 'utf8');
    const m = { dek: f?.dek ? Buffer.from(f.dek, 'base64') : null, nodeKeyPem, unlockKey: null };
    held.set(this.certsDir, m);
    return m;
  }

  async nodeKey(): Promise<string> {
    return (await this.material()).nodeKeyPem;
  }

  /** The Raft data key; made (and saved beside the TLS key) on a manager's first start. */
  async dataKey(): Promise<Buffer> {
    const m = await this.material();
    if (!m.dek) {
      m.dek = newDataKey();
      await this.write(m);
    }
    return m.dek;
  }

  /** The unlock key the secrets on disk are wrapped with, or null when they are plain. */
  wrappedWith(): string | null {
    return held.get(this.certsDir)?.unlockKey ?? null;
  }

  /** A new TLS key (join, renewal, role change). A worker keeps no wrapped secrets and no data key. */
  async saveNodeKey(pem: string, role: 'manager' | 'worker'): Promise<void> {
    const prev = held.get(this.certsDir);
    if (role === 'worker') {
      held.set(this.certsDir, { dek: null, nodeKeyPem: pem, unlockKey: null });
      await writeDurably(this.nodeKeyPath, pem);
      await rm(this.keysPath, { force: true });
      return;
    }
    const m = prev ?? { dek: null, nodeKeyPem: pem, unlockKey: null };
    m.nodeKeyPem = pem;
    held.set(this.certsDir, m);
    await this.write(m);
  }

  /** Wraps the secrets with `unlockKey` (autolock on, or a rotated key), or unwraps them (null). */
  async wrapWith(unlockKey: string | null): Promise<void> {
    const m = await this.material();
    m.unlockKey = unlockKey;
    await this.write(m);
  }

  /** Forgets what this process holds (the node left the swarm; a new one starts plain). */
  forget(): void {
    held.delete(this.certsDir);
  }

  /** Writes `m` as it should be on disk; the plain key goes only once its wrapped copy is durable. */
  private async write(m: Held): Promise<void> {
    const dek = m.dek?.toString('base64');
    if (m.unlockKey) {
      const locked = wrapKeys(m.unlockKey, { ...(dek ? { dek } : {}), nodeKeyPem: m.nodeKeyPem });
      await writeDurably(this.keysPath, JSON.stringify({ locked }));
      await rm(this.nodeKeyPath, { force: true });
    } else {
      await writeDurably(this.nodeKeyPath, m.nodeKeyPem);
      await writeDurably(this.keysPath, JSON.stringify(dek ? { dek } : {}));
    }
    await syncDir(this.certsDir);
  }
}

/** A temp file, fsynced, renamed over `path`: a crash leaves the old or the new content. */
async function writeDurably(path: string, data: string): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
