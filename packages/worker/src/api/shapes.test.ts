import { timestampFirst } from './shapes';

describe('service log lines in docker order', () => {
  test('details then time become time then details; the text is kept whole', () => {
    const details = 'com.docker.swarm.node.id=n1,com.docker.swarm.service.id=s1,com.docker.swarm.task.id=t1';
    expect(timestampFirst(`${details} 2026-12-08T01:00:00.000000000Z hello  world\n`)).toBe(
      `2026-12-08T01:00:00.000000000Z ${details} hello  world\n`,
    );
    expect(timestampFirst(`${details} 2026-12-08T01:00:00Z \n`)).toBe(`2026-12-08T01:00:00Z ${details} \n`);
    expect(timestampFirst('no-spaces')).toBe('no-spaces');
  });
});
