// A node's keys on disk: plain while autolock is off, wrapped (and the plain copies gone) while on,
// locked after a restart until unlocked with the right key; a rotation re-wraps with the new key.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { InvalidUnlockKeyError, NotLockedError, SwarmLockedError } from './lock-errors';
import { NodeKeyFiles } from './lock-state';
import { newUnlockKey } from './unlock-key';

const PEM = '-----BEGIN PRIVATE KEY-----\nMARKERKEY\n-----END PRIVATE KEY-----\n';
let dir: string;
let n = 0;
/** A "restart": a NodeKeyFiles for a fresh path holds nothing in memory; same dir → forget(). */
const restart = (k: NodeKeyFiles) => {
  k.forget();
  return new NodeKeyFiles(k.certsDir);
};
beforeEach(async () => {
  dir = await mkdtemp(join(os.tmpdir(), `flotilla-keys-${n++}-`));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function diskHolds(text: string): Promise<boolean> {
  for (const f of await readdir(dir)) if ((await readFile(join(dir, f), 'utf8')).includes(text)) return true;
  return false;
}

describe('NodeKeyFiles', () => {
  it('plain: the TLS key and a data key made on first use, both beside each other; stable across a restart', async () => {
    const k = new NodeKeyFiles(dir);
    await k.saveNodeKey(PEM, 'manager');
    const dek = await k.dataKey();
    expect(dek).toHaveLength(32);
    expect((await readdir(dir)).sort()).toEqual(['keys.json', 'node.key']);
    const r = restart(k);
    expect(await r.isLocked()).toBe(false);
    expect(await r.nodeKey()).toBe(PEM);
    expect(await r.dataKey()).toEqual(dek);
  });

  it('autolock: wrapped, plain copies removed, locked after a restart; wrong key refused; right key unlocks', async () => {
    const k = new NodeKeyFiles(dir);
    await k.saveNodeKey(PEM, 'manager');
    const dek = await k.dataKey();
    const key = newUnlockKey();
    await k.wrapWith(key);
    expect(await readdir(dir)).toEqual(['keys.json']);
    expect(await diskHolds('MARKERKEY')).toBe(false);
    expect(await diskHolds(dek.toString('base64'))).toBe(false);

    const r = restart(k);
    expect(await r.isLocked()).toBe(true);
    await expect(r.nodeKey()).rejects.toThrow(SwarmLockedError);
    await expect(r.dataKey()).rejects.toThrow(SwarmLockedError);
    await expect(r.unlock(newUnlockKey())).rejects.toThrow(InvalidUnlockKeyError);
    await expect(r.unlock('SWMKEY-1-nonsense')).rejects.toThrow(InvalidUnlockKeyError);
    expect(await r.isLocked()).toBe(true);
    await r.unlock(key);
    expect(await r.isLocked()).toBe(false);
    expect(await r.nodeKey()).toBe(PEM);
    expect(await r.dataKey()).toEqual(dek);
    await expect(r.unlock(key)).rejects.toThrow(NotLockedError);
  });

  it('rotation re-wraps with the new key (the old one no longer opens it); autolock off unwraps', async () => {
    const k = new NodeKeyFiles(dir);
    await k.saveNodeKey(PEM, 'manager');
    await k.dataKey();
    const old = newUnlockKey();
    const next = newUnlockKey();
    await k.wrapWith(old);
    await k.wrapWith(next);
    // A renewed TLS key while locked stays wrapped.
    await k.saveNodeKey(PEM.replace('MARKERKEY', 'RENEWEDKEY'), 'manager');
    expect(await diskHolds('RENEWEDKEY')).toBe(false);
    let r = restart(k);
    await expect(r.unlock(old)).rejects.toThrow(InvalidUnlockKeyError);
    await r.unlock(next);
    expect(await r.nodeKey()).toContain('RENEWEDKEY');
    await r.wrapWith(null);
    r = restart(r);
    expect(await r.isLocked()).toBe(false);
    expect(await r.nodeKey()).toContain('RENEWEDKEY');
  });

  it('a demotion to worker leaves the TLS key plain and no data key', async () => {
    const k = new NodeKeyFiles(dir);
    await k.saveNodeKey(PEM, 'manager');
    await k.dataKey();
    await k.wrapWith(newUnlockKey());
    await k.saveNodeKey(PEM, 'worker');
    expect(await readdir(dir)).toEqual(['node.key']);
    expect(await restart(k).isLocked()).toBe(false);
  });
});
