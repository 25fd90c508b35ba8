import { initSettings, joinSettings } from './requests';

describe('swarm init and join requests', () => {
  const addr = { ListenAddr: '127.0.0.1:4567', AdvertiseAddr: '127.0.0.1:4567' };

  test('the docker CLI sends SubnetSize 24 (and DataPathPort 0) with no pool: accepted, the defaults used', () => {
    const body = { ...addr, DefaultAddrPool: [] as string[], SubnetSize: 24 };
    expect(initSettings(body)).toEqual({ addrPool: {}, listenAddr: '127.0.0.1:4567', advertiseAddr: '127.0.0.1:4567' });
    expect(initSettings({ ...addr, DefaultAddrPool: null, SubnetSize: null }).addrPool).toEqual({});
  });

  test('a mask length without a pool applies to the default pool; a bad one is a 400', () => {
    expect(initSettings({ ...addr, SubnetSize: 26 }).addrPool).toEqual({
      DefaultAddrPool: ['198.19.128.0/17'],
      SubnetSize: 26,
    });
    expect(() => initSettings({ ...addr, SubnetSize: 31 })).toThrow(
      expect.objectContaining({ status: 400, message: expect.stringMatching(/invalid subnet size 31/) }),
    );
  });

  test('join: the manager address gets port 2377 unless given', () => {
    expect(joinSettings({ ...addr, RemoteAddrs: ['10.0.0.1'], JoinToken: 't' }).managerAddr).toBe('10.0.0.1:2377');
    expect(() => joinSettings({ ...addr, RemoteAddrs: [], JoinToken: 't' })).toThrow(/no manager address given/);
  });
});
