// Unlock keys (docker's SWMKEY-1- format) and the wrapping of a manager's secrets with them.
import { InvalidUnlockKeyError } from './lock-errors';
import { newUnlockKey, parseUnlockKey, unwrapKeys, wrapKeys } from './unlock-key';

describe('unlock keys', () => {
  it("look like docker's: SWMKEY-1- and 43 base64 characters (32 bytes), different every time", () => {
    const a = newUnlockKey();
    expect(a).toMatch(/^SWMKEY-1-[A-Za-z0-9+/]{43}$/);
    expect(parseUnlockKey(a)).toHaveLength(32);
    expect(newUnlockKey()).not.toBe(a);
    expect(parseUnlockKey(`  ${a}\n`)).toEqual(parseUnlockKey(a));
  });

  it.each([
    '',
    'SWMKEY-1-',
    'SWMKEY-2-' + 'A'.repeat(43),
    'SWMTKN-1-abc',
    'SWMKEY-1-' + 'A'.repeat(42),
    'SWMKEY-1-' + '*'.repeat(43),
  ])("refuses %j with docker's invalid key text", (k) => {
    expect(() => parseUnlockKey(k)).toThrow(InvalidUnlockKeyError);
    expect(() => parseUnlockKey(k)).toThrow('swarm could not be unlocked: invalid key provided');
  });

  it('wrap then unwrap with the same key gives the secrets back; the wrapped form holds none of them', () => {
    const key = newUnlockKey();
    const secrets = { dek: Buffer.alloc(32, 9).toString('base64'), nodeKeyPem: '-----BEGIN PRIVATE KEY-----\nabc\n' };
    const w = wrapKeys(key, secrets);
    expect(JSON.stringify(w)).not.toContain(secrets.dek);
    expect(JSON.stringify(w)).not.toContain('PRIVATE KEY');
    expect(unwrapKeys(key, w)).toEqual(secrets);
    // A fresh salt and nonce each time.
    expect(wrapKeys(key, secrets).box).not.toBe(w.box);
  });

  it('unwrap with another key, or of an altered box, is refused as an invalid key', () => {
    const w = wrapKeys(newUnlockKey(), { nodeKeyPem: 'k' });
    expect(() => unwrapKeys(newUnlockKey(), w)).toThrow(InvalidUnlockKeyError);
    const box = Buffer.from(w.box, 'base64');
    box[14] = box[14]! ^ 1;
    expect(() => unwrapKeys(newUnlockKey(), { ...w, box: box.toString('base64') })).toThrow(InvalidUnlockKeyError);
  });
});
