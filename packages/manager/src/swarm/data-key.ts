// A manager's data key (DEK): 32 random bytes, kept beside its TLS key (lock-state.ts), and the
// cipher that seals its Raft WAL records and snapshot files with it (AES-256-GCM, see AesGcmCipher).
import { randomBytes } from 'node:crypto';
import { AesGcmCipher } from '@flotilla/raft';

export const DATA_KEY_BYTES = 32;

export function newDataKey(): Buffer {
  return randomBytes(DATA_KEY_BYTES);
}

export class DataKeyCipher extends AesGcmCipher {
  constructor(key: Buffer) {
    if (key.length !== DATA_KEY_BYTES) throw new RangeError(`a data key is ${DATA_KEY_BYTES} bytes, got ${key.length}`);
    super(key);
  }
}

/** The cipher of the manager whose keys are in `keys` (the data key is made on first use). */
export async function dataKeyCipher(keys: { dataKey(): Promise<Buffer> }): Promise<DataKeyCipher> {
  return new DataKeyCipher(await keys.dataKey());
}
