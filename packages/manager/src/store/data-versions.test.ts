import { dataAtVersion } from './data-versions';
import type { SecretObject } from './tables';

const secret: SecretObject = {
  ID: 's1',
  Version: { Index: 9 },
  CreatedAt: '',
  UpdatedAt: '',
  Spec: { Name: 'pw', Data: Buffer.from('new').toString('base64') },
  DataVersion: 3,
  PastData: { '2': Buffer.from('old').toString('base64') },
};

describe('data versions of secrets and configs', () => {
  it('gives the current data for the current version or none given', () => {
    expect(dataAtVersion(secret, 3)).toBe(secret.Spec.Data);
    expect(dataAtVersion(secret, undefined)).toBe(secret.Spec.Data);
  });
  it('gives a past version that is kept, and undefined for one that is gone', () => {
    expect(Buffer.from(dataAtVersion(secret, 2)!, 'base64').toString()).toBe('old');
    expect(dataAtVersion(secret, 1)).toBeUndefined();
  });
});
