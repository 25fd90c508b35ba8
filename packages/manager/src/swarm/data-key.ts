// A manager's data key (DEK) and the AEAD that seals its Raft WAL records and snapshot files with
// it: AES-256-GCM, a fresh random 96-bit nonce per record. Box: nonce (12) | ciphertext | tag (16).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { RecordCipher } from '@flotilla/raft';

export const DATA_KEY_BYTES = 32;
const NONCE = 12;
const TAG = 16;

export function newDataKey(): Buffer {
  return randomBytes(DATA_KEY_BYTES);
}

export class DataKeyCipher implements RecordCipher {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== DATA_KEY_BYTES) throw new RangeError(`a data key is ${DATA_KEY_BYTES} bytes, got ${key.length}`);
    this.key = Buffer.from(key);
  }

  seal(plain: Buffer, aad: Buffer): Buffer {
    const nonce = randomBytes(NONCE);
    const c = createCipheriv('aes-256-gcm', this.key, nonce);
    c.setAAD(aad);
    const head = c.update(plain);
    const tail = c.final();
    return Buffer.concat([nonce, head, tail, c.getAuthTag()]);
  }

  open(sealed: Buffer, aad: Buffer): Buffer {
    if (sealed.length < NONCE + TAG) throw new Error('sealed record is too short');
    const d = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(0, NONCE));
    d.setAAD(aad);
    d.setAuthTag(sealed.subarray(sealed.length - TAG));
    const head = d.update(sealed.subarray(NONCE, sealed.length - TAG));
    return Buffer.concat([head, d.final()]);
  }
}

/** The cipher of the manager whose keys are in `keys` (the data key is made on first use). */
export async function dataKeyCipher(keys: { dataKey(): Promise<Buffer> }): Promise<DataKeyCipher> {
  return new DataKeyCipher(await keys.dataKey());
}
