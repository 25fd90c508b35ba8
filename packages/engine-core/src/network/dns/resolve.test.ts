import type { DnsSource } from '../types';
import { NameIndex } from './name-index';
import { candidates, resolve, type ResolveNetwork } from './resolve';
import { TYPE } from './wire';

const ID_WEB = 'a1'.repeat(32);
const ID_DB = 'b2'.repeat(32);

function nets(): { front: ResolveNetwork; back: ResolveNetwork } {
  const front = { id: 'n1', name: 'front', index: new NameIndex() };
  const back = { id: 'n2', name: 'back', index: new NameIndex() };
  front.index.add({ containerId: ID_WEB, name: 'web', aliases: ['www'], ipAddress: '10.1.0.2' });
  back.index.add({ containerId: ID_WEB, name: 'web', aliases: [], ipAddress: '10.2.0.2' });
  back.index.add({ containerId: ID_DB, name: 'db', aliases: [], ipAddress: '10.2.0.3' });
  return { front, back };
}

const base = { type: TYPE.A, class: 1, sources: [] as DnsSource[], searchDomains: [] as string[] };

describe('resolve', () => {
  it('answers a container name on the asking network, then on its other networks', () => {
    const { front, back } = nets();
    expect(resolve({ ...base, name: 'web', networks: [front, back] })).toEqual({
      kind: 'addresses',
      addresses: ['10.1.0.2'],
    });
    expect(resolve({ ...base, name: 'web', networks: [back, front] })).toEqual({
      kind: 'addresses',
      addresses: ['10.2.0.2'],
    });
    expect(resolve({ ...base, name: 'db', networks: [front, back] })).toEqual({
      kind: 'addresses',
      addresses: ['10.2.0.3'],
    });
    // a client on front only does not see back's names
    expect(resolve({ ...base, name: 'db', networks: [front] })).toEqual({ kind: 'forward' });
  });

  it('answers NOERROR without records for AAAA of a known name, and forwards AAAA of others', () => {
    const { front } = nets();
    expect(resolve({ ...base, type: TYPE.AAAA, name: 'web', networks: [front] })).toEqual({ kind: 'nodata' });
    expect(resolve({ ...base, type: TYPE.AAAA, name: 'example.org', networks: [front] })).toEqual({ kind: 'forward' });
    expect(resolve({ ...base, type: 15, name: 'www', networks: [front] })).toEqual({ kind: 'nodata' });
  });

  it('finds <name>.<network> on that network only, and a name with a host search domain appended', () => {
    const { front, back } = nets();
    expect(resolve({ ...base, name: 'web.back', networks: [front, back] })).toEqual({
      kind: 'addresses',
      addresses: ['10.2.0.2'],
    });
    expect(resolve({ ...base, name: 'www.back', networks: [front, back] })).toEqual({ kind: 'forward' });
    expect(resolve({ ...base, name: 'web.example.com', searchDomains: ['example.com'], networks: [front] })).toEqual({
      kind: 'addresses',
      addresses: ['10.1.0.2'],
    });
    expect(resolve({ ...base, name: 'web.example.com', searchDomains: [], networks: [front] })).toEqual({
      kind: 'forward',
    });
    expect(candidates('example.com', [front], ['example.com']).map((c) => c.name)).toEqual(['example.com']);
  });

  it('asks sources after the containers, in order; undefined passes; a throwing source is skipped', () => {
    const { front } = nets();
    const calls: string[] = [];
    const errors: unknown[] = [];
    const sources: DnsSource[] = [
      (q) => {
        calls.push(`s1:${q.networkName}:${q.name}`);
        return undefined;
      },
      () => {
        throw new Error('boom');
      },
      (q) => (q.name === 'redis' ? ['10.1.0.100'] : q.name === 'empty' ? [] : undefined),
      () => ['10.9.9.9'],
    ];
    const r = (name: string) =>
      resolve({ ...base, name, networks: [front], sources, onSourceError: (e) => errors.push(e) });
    expect(r('web')).toEqual({ kind: 'addresses', addresses: ['10.1.0.2'] });
    expect(calls).toEqual([]); // containers first: no source asked
    expect(r('redis')).toEqual({ kind: 'addresses', addresses: ['10.1.0.100'] });
    expect(calls).toEqual(['s1:front:redis']);
    expect(errors).toHaveLength(1);
    expect(r('empty')).toEqual({ kind: 'nodata' });
    expect(r('anything')).toEqual({ kind: 'addresses', addresses: ['10.9.9.9'] });
  });

  it('answers PTR for container addresses and forwards the rest', () => {
    const { front, back } = nets();
    expect(resolve({ ...base, type: TYPE.PTR, name: '3.0.2.10.in-addr.arpa', networks: [front, back] })).toEqual({
      kind: 'ptr',
      target: 'db.back',
    });
    expect(resolve({ ...base, type: TYPE.PTR, name: '9.9.9.10.in-addr.arpa', networks: [front, back] })).toEqual({
      kind: 'forward',
    });
  });

  it('forwards other classes and the root', () => {
    const { front } = nets();
    expect(resolve({ ...base, class: 3, name: 'web', networks: [front] })).toEqual({ kind: 'forward' });
    expect(resolve({ ...base, name: '', networks: [front] })).toEqual({ kind: 'forward' });
  });
});
