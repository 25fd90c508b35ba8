import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../errors';
import { ANONYMOUS_LABEL, VolumeStore } from './volume-store';

describe('VolumeStore', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'flotilla-vol-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates, inspects, lists and removes named volumes in docker shape', async () => {
    const s = new VolumeStore(dir);
    await s.init();
    const v = await s.create({ Name: 'data', Labels: { a: 'b' } });
    expect(v).toMatchObject({
      Name: 'data',
      Driver: 'local',
      Scope: 'local',
      Mountpoint: join(dir, 'data/_data'),
      Labels: { a: 'b' },
      Options: {},
    });
    expect(v.CreatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(existsSync(v.Mountpoint)).toBe(true);
    expect(await s.create({ Name: 'data' })).toBe(v);
    expect(s.list().Volumes.map((x) => x.Name)).toEqual(['data']);
    expect(s.list({ label: ['a=b'] }).Volumes).toHaveLength(1);
    expect(s.list({ label: ['a=c'] }).Volumes).toHaveLength(0);
    await s.remove('data');
    expect(existsSync(join(dir, 'data'))).toBe(false);
    expect(() => s.get('data')).toThrow(new NotFoundError('get data: no such volume'));
  });

  it('survives a restart', async () => {
    const s = new VolumeStore(dir);
    await s.init();
    await s.create({ Name: 'keep' });
    writeFileSync(join(s.get('keep').Mountpoint, 'f'), 'x');
    const s2 = new VolumeStore(dir);
    await s2.init();
    expect(s2.get('keep').Name).toBe('keep');
  });

  it('refuses to remove a volume in use (409) and invalid names (400)', async () => {
    const s = new VolumeStore(dir);
    await s.init();
    await s.create({ Name: 'busy' });
    s.setUsers((n) => (n === 'busy' ? ['abc123'] : []));
    await expect(s.remove('busy')).rejects.toThrow(new ConflictError('remove busy: volume is in use - [abc123]'));
    await expect(s.create({ Name: 'bad/name' })).rejects.toThrow(InvalidArgumentError);
    await expect(s.remove('nope')).rejects.toThrow(NotFoundError);
  });

  it('makes anonymous volumes with a random name and prunes them', async () => {
    const s = new VolumeStore(dir);
    await s.init();
    const a = await s.create();
    expect(a.Name).toMatch(/^[0-9a-f]{64}$/);
    expect(a.Labels).toHaveProperty([ANONYMOUS_LABEL], '');
    await s.create({ Name: 'named' });
    expect((await s.prune()).VolumesDeleted).toEqual([a.Name]);
    expect(s.list().Volumes.map((v) => v.Name)).toEqual(['named']);
  });
});
