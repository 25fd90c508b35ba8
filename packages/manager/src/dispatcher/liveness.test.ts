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

test('a check far later than its deadline (the manager stalled) forgives the stall once', () => {
  const l = new Liveness(1000);
  l.beat('a', 0);
  l.beat('b', 0);
  expect(l.nextDeadline()).toBe(3000);
  // The timer fires 5 s late: the beats that came meanwhile are still unread, nobody is down yet.
  expect(l.expired(8000)).toEqual([]);
  l.beat('a', 8001);
  // 'b' really is silent: one more period to be heard after the stall, then it is down.
  expect(l.nextDeadline()).toBe(9000);
  expect(l.expired(9001)).toEqual(['b']);
  l.forget('b'); // as the dispatcher does once it marks it down
  expect(l.nextDeadline()).toBe(11001);
});

test('a stalled check also gives a node whose session closed one more period', () => {
  const l = new Liveness(1000);
  l.beat('a', 0);
  l.disconnected('a', 500);
  expect(l.nextDeadline()).toBe(1500);
  expect(l.expired(6000)).toEqual([]);
  expect(l.nextDeadline()).toBe(7000);
  expect(l.expired(7001)).toEqual(['a']);
});

test('a check on time still marks a silent node down (no forgiveness without a stall)', () => {
  const l = new Liveness(1000);
  l.beat('a', 0);
  expect(l.nextDeadline()).toBe(3000);
  expect(l.expired(3001)).toEqual(['a']);
});
