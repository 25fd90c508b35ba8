// A real AEAD (AES-256-GCM) for the raft package's own tests, simulation and example server; the
// manager brings its own. Box layout: nonce (12) | ciphertext | tag (16).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { RecordCipher } from './cipher';

export class AesGcmTestCipher implements RecordCipher {
  constructor(private readonly key: Buffer = randomBytes(32)) {}

  seal(plain: Buffer, aad: Buffer): Buffer {
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, nonce);
    c.setAAD(aad);
    const body = c.update(plain);
    c.final();
    return Buffer.concat([nonce, body, c.getAuthTag()]);
  }

  open(sealed: Buffer, aad: Buffer): Buffer {
    if (sealed.length < 28) throw new Error('sealed record too short');
    const d = createDecipheriv('aes-256-gcm', this.key, sealed.subarray(0, 12));
    d.setAAD(aad);
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    const out = d.update(sealed.subarray(12, sealed.length - 16));
    d.final();
    return out;
  }
}
