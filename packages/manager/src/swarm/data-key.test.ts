// The manager's data-key AEAD passes the raft package's RecordCipher contract.
import { checkRecordCipher } from '@flotilla/raft';
import { DataKeyCipher, newDataKey } from './data-key';

describe('DataKeyCipher', () => {
  it('passes the RecordCipher contract (round trip, fresh nonces, tamper, place and key refused)', () => {
    expect(checkRecordCipher(new DataKeyCipher(newDataKey()), new DataKeyCipher(newDataKey()))).toEqual([]);
  });

  it('refuses a key of the wrong size', () => {
    expect(() => new DataKeyCipher(Buffer.alloc(16))).toThrow(/32 bytes/);
  });
});
