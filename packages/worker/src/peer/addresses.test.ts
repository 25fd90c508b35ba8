import { peerAddresses } from './addresses';

describe('peerAddresses', () => {
  test('managers first, then ready nodes; self, duplicates, down nodes and wildcard addresses left out', () => {
    expect(
      peerAddresses({
        self: '198.18.0.3:2377',
        managers: ['198.18.0.2:2377', '198.18.0.3:2377'],
        nodes: [
          { addr: '198.18.0.2', ready: true },
          { addr: '198.18.0.3', ready: true },
          { addr: '198.18.0.4', ready: false },
          { addr: '198.18.0.5', ready: true },
          { addr: '0.0.0.0', ready: true },
        ],
        port: 2377,
      }),
    ).toEqual(['198.18.0.2:2377', '198.18.0.5:2377']);
  });

  test('a worker without the node list asks its managers', () => {
    expect(peerAddresses({ self: '198.18.0.4:2377', managers: ['198.18.0.2:2377'], port: 2377 })).toEqual([
      '198.18.0.2:2377',
    ]);
  });
});
