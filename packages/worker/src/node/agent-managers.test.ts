import { agentManagers } from './agent-managers';

describe('agentManagers', () => {
  it('a worker dials the managers it was told of', () => {
    expect(agentManagers({ role: 'worker', advertiseAddr: '198.18.0.5:2377', managers: ['198.18.0.2:2377'] })).toEqual([
      '198.18.0.2:2377',
    ]);
  });

  it('a manager dials itself first, then every other manager it knows of, once each', () => {
    expect(
      agentManagers({ role: 'manager', advertiseAddr: '198.18.0.4:2377', managers: ['198.18.0.2:2377'] }, [
        '198.18.0.3:2377',
        '198.18.0.4:2377',
        '198.18.0.2:2377',
      ]),
    ).toEqual(['198.18.0.4:2377', '198.18.0.3:2377', '198.18.0.2:2377']);
  });

  it('a manager that knows no other manager dials only itself (a swarm of one)', () => {
    expect(agentManagers({ role: 'manager', advertiseAddr: '0.0.0.0:2377', managers: [] }, ['0.0.0.0:2377'])).toEqual([
      '127.0.0.1:2377',
    ]);
  });
});
