// The cipher the WAL and snapshot files seal their records with (injected: the raft package knows
// no keys). `checkRecordCipher` is the contract every implementation must pass (see its tests).

/**
 * An AEAD over one record: `seal` returns a self-contained box (nonce and tag inside) bound to
 * `aad` (the record's place in the file); `open` returns the plaintext or throws when the box was
 * altered, moved to another place, or sealed with another key.
 */
export interface RecordCipher {
  seal(plain: Buffer, aad: Buffer): Buffer;
  open(sealed: Buffer, aad: Buffer): Buffer;
}

/**
 * The contract, as data: the violations of `cipher` (empty when it passes). Pure apart from the
 * cipher's own randomness; `other` is a cipher with a different key.
 */
export function checkRecordCipher(cipher: RecordCipher, other: RecordCipher): string[] {
  const bad: string[] = [];
  const aad = Buffer.from('segment 1 offset 42');
  for (const plain of [Buffer.alloc(0), Buffer.from('a secret value'), Buffer.alloc(70_000, 7)]) {
    const box = cipher.seal(plain, aad);
    let back: Buffer | null = null;
    try {
      back = cipher.open(box, aad);
    } catch (e) {
      bad.push(`open of a fresh box of ${plain.length} bytes threw: ${(e as Error).message}`);
    }
    if (back && !back.equals(plain)) bad.push(`round trip of ${plain.length} bytes changed the data`);
    if (plain.length >= 8 && box.includes(plain.subarray(0, 8))) bad.push('the box holds the plaintext');
  }
  const plain = Buffer.from('the same record twice');
  const a = cipher.seal(plain, aad);
  const b = cipher.seal(plain, aad);
  if (a.equals(b)) bad.push('sealing the same record twice gave the same box (nonce reused)');
  const throws = (what: string, f: () => unknown) => {
    try {
      f();
      bad.push(`${what} was accepted`);
    } catch {
      /* refused: as it must be */
    }
  };
  for (let i = 0; i < a.length; i += Math.max(1, Math.floor(a.length / 7))) {
    const t = Buffer.from(a);
    t[i] = t[i]! ^ 0x01;
    throws(`a box with byte ${i} flipped`, () => cipher.open(t, aad));
  }
  throws('a truncated box', () => cipher.open(a.subarray(0, a.length - 1), aad));
  throws('a box opened at another place (aad)', () => cipher.open(a, Buffer.from('segment 1 offset 43')));
  throws('a box opened with another key', () => other.open(a, aad));
  const nonces = new Set<string>();
  for (let i = 0; i < 2000; i++) nonces.add(cipher.seal(plain, aad).toString('base64'));
  if (nonces.size !== 2000) bad.push('2000 seals of one record gave repeated boxes');
  return bad;
}
