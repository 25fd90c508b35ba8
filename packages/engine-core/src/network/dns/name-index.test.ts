import { endpointNames, NameIndex, normalizeName } from './name-index';

const ID_A = 'aaaaaaaaaaaa' + '0'.repeat(52);
const ID_B = 'bbbbbbbbbbbb' + '1'.repeat(52);

describe('NameIndex', () => {
  it('finds a container by name, alias and short ID, case-insensitively once normalized', () => {
    const ix = new NameIndex();
    ix.add({ containerId: ID_A, name: 'Web', aliases: ['frontend', 'WWW.'], ipAddress: '10.9.0.2' });
    expect(ix.lookup(normalizeName('WEB'))).toEqual(['10.9.0.2']);
    expect(ix.lookup('frontend')).toEqual(['10.9.0.2']);
    expect(ix.lookup(normalizeName('www.'))).toEqual(['10.9.0.2']);
    expect(ix.lookup('aaaaaaaaaaaa')).toEqual(['10.9.0.2']);
    expect(ix.lookup(ID_A)).toEqual([]); // the short ID only, as docker
    expect(ix.lookup('db')).toEqual([]);
    expect(ix.container('10.9.0.2')).toEqual({ containerId: ID_A, name: 'Web' });
  });

  it('gives every address of a shared alias and forgets a container that leaves', () => {
    const ix = new NameIndex();
    ix.add({ containerId: ID_A, name: 'a', aliases: ['db'], ipAddress: '10.9.0.2' });
    ix.add({ containerId: ID_B, name: 'b', aliases: ['db'], ipAddress: '10.9.0.3' });
    expect(ix.lookup('db')).toEqual(['10.9.0.2', '10.9.0.3']);
    ix.remove(ID_A);
    expect(ix.lookup('db')).toEqual(['10.9.0.3']);
    expect(ix.lookup('a')).toEqual([]);
    expect(ix.container('10.9.0.2')).toBeUndefined();
    expect(ix.size).toBe(1);
    ix.remove(ID_A); // idempotent
    ix.remove(ID_B);
    expect(ix.lookup('db')).toEqual([]);
    expect(ix.size).toBe(0);
  });

  it('replaces a container added again (new address, new aliases)', () => {
    const ix = new NameIndex();
    ix.add({ containerId: ID_A, name: 'a', aliases: ['old'], ipAddress: '10.9.0.2' });
    ix.add({ containerId: ID_A, name: 'a', aliases: ['new'], ipAddress: '10.9.0.7' });
    expect(ix.lookup('a')).toEqual(['10.9.0.7']);
    expect(ix.lookup('old')).toEqual([]);
    expect(ix.lookup('new')).toEqual(['10.9.0.7']);
    expect(ix.container('10.9.0.2')).toBeUndefined();
  });

  it('endpointNames drops duplicates and empty names', () => {
    expect(endpointNames({ containerId: ID_A, name: 'web', aliases: ['WEB', '', 'x'], ipAddress: '1.2.3.4' })).toEqual([
      'web',
      'x',
      'aaaaaaaaaaaa',
    ]);
  });
});
