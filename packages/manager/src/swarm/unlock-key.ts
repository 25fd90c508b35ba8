// The swarm's unlock key (docker's `SWMKEY-1-<base64 of 32 random bytes>`) and the wrapping of a
// manager's secrets (data key, node TLS key) with a key derived from it (HKDF-SHA256: the unlock
// key is random, not a password, so a slow KDF buys nothing). Pure but for the randomness.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { InvalidUnlockKeyError } from './lock-errors';

const PREFIX = 'SWMKEY-1-';
const KEY_BYTES = 32;

export function newUnlockKey(): string {
  return PREFIX + randomBytes(KEY_BYTES).toString('base64').replace(/=+$/, '');
}

/** The key's 32 bytes; anything else is docker's "invalid key" refusal. */
export function parseUnlockKey(text: string): Buffer {
  const t = text.trim();
  if (!t.startsWith(PREFIX)) throw new InvalidUnlockKeyError();
  const b64 = t.slice(PREFIX.length);
  if (!/^[A-Za-z0-9+/]{43}$/.test(b64)) throw new InvalidUnlockKeyError();
  const key = Buffer.from(b64, 'base64');
  if (key.length !== KEY_BYTES) throw new InvalidUnlockKeyError();
  return key;
}

/** What a locked manager keeps on disk: its secrets sealed with a key derived from the unlock key. */
export interface WrappedKeys {
  kdf: 'hkdf-sha256';
  salt: string;
  /** base64 of nonce (12) | AES-256-GCM ciphertext | tag (16). */
  box: string;
}

export interface ManagerSecrets {
  /** base64 of the Raft data key (absent on a node that never started a manager). */
  dek?: string;
  nodeKeyPem: string;
}

const AAD = Buffer.from('flotilla manager keys v1');

function kek(unlockKey: string, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', parseUnlockKey(unlockKey), salt, AAD, 32));
}

export function wrapKeys(unlockKey: string, secrets: ManagerSecrets): WrappedKeys {
  const salt = randomBytes(16);
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', kek(unlockKey, salt), nonce);
  c.setAAD(AAD);
  const body = Buffer.concat([c.update(JSON.stringify(secrets), 'utf8'), c.final()]);
  return {
    kdf: 'hkdf-sha256',
    salt: salt.toString('base64'),
    box: Buffer.concat([nonce, body, c.getAuthTag()]).toString('base64'),
  };
}

/** The secrets, or InvalidUnlockKeyError when `unlockKey` is not the one they were wrapped with. */
export function unwrapKeys(unlockKey: string, w: WrappedKeys): ManagerSecrets {
  const key = kek(unlockKey, Buffer.from(w.salt, 'base64'));
  const box = Buffer.from(w.box, 'base64');
  try {
    const d = createDecipheriv('aes-256-gcm', key, box.subarray(0, 12));
    d.setAAD(AAD);
    d.setAuthTag(box.subarray(box.length - 16));
    const plain = Buffer.concat([d.update(box.subarray(12, box.length - 16)), d.final()]);
    return JSON.parse(plain.toString('utf8')) as ManagerSecrets;
  } catch {
    throw new InvalidUnlockKeyError();
  }
}
