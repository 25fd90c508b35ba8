import { Liveness } from './liveness';

test('a node is down after missing 3 heartbeat periods', () => {
  const l = new Liveness(1000);
  l.beat('a', 0);
  l.beat('b', 0);
  l.beat('b', 2500);
  expect(l.expired(3000)).toEqual([]);
  expect(l.expired(3001)).toEqual(['a']);
  expect(l.nextDeadline()).toBe(3000);
});

test('a node whose session closed is down after one period unless it comes back', () => {
  const l = new Liveness(1000);
  l.beat('a', 0);
  l.disconnected('a', 100);
  expect(l.expired(1000)).toEqual([]);
  expect(l.expired(1101)).toEqual(['a']);
  l.beat('a', 1050);
  expect(l.expired(1101)).toEqual([]);
});
