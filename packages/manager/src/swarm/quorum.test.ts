import { Role } from '../raft';
import { canRemoveMember, reachabilityOf } from './quorum';

const voters = (reach: boolean[]) => reach.map((reachable, i) => ({ id: `m${i + 1}`, reachable }));

describe('canRemoveMember (swarmkit CanRemoveMember)', () => {
  test('3 reachable managers: one may go, 2 of 2 remain', () => {
    expect(canRemoveMember(voters([true, true, true]), 'm3')).toBe(true);
  });
  test('3 managers, one unreachable: removing a reachable one leaves 1 of 2, no quorum', () => {
    expect(canRemoveMember(voters([true, true, false]), 'm2')).toBe(false);
  });
  test('3 managers, one unreachable: removing the unreachable one keeps 2 of 2', () => {
    expect(canRemoveMember(voters([true, true, false]), 'm3')).toBe(true);
  });
  test('the last voter cannot be removed', () => {
    expect(canRemoveMember(voters([true]), 'm1')).toBe(false);
  });
  test('5 managers with 2 down: removing a reachable one leaves 2 of 4', () => {
    expect(canRemoveMember(voters([true, true, true, false, false]), 'm1')).toBe(false);
  });
});

describe('reachabilityOf', () => {
  const members = [
    { id: 'a', address: 'a:1', voter: true },
    { id: 'b', address: 'b:1', voter: true },
    { id: 'c', address: 'c:1', voter: true },
  ];
  test('the leader judges by Raft activity', () => {
    const st = { id: 'a', role: Role.Leader, leader: 'a', members };
    expect(reachabilityOf('a', st, { activeRecently: false, nodeDown: false })).toBe('reachable');
    expect(reachabilityOf('b', st, { activeRecently: true, nodeDown: true })).toBe('reachable');
    expect(reachabilityOf('c', st, { activeRecently: false, nodeDown: false })).toBe('unreachable');
  });
  test('a follower knows itself and its leader, and the rest from node liveness', () => {
    const st = { id: 'b', role: Role.Follower, leader: 'a', members };
    expect(reachabilityOf('a', st, { activeRecently: false, nodeDown: true })).toBe('reachable');
    expect(reachabilityOf('b', st, { activeRecently: false, nodeDown: false })).toBe('reachable');
    expect(reachabilityOf('c', st, { activeRecently: false, nodeDown: true })).toBe('unreachable');
    expect(reachabilityOf('c', st, { activeRecently: false, nodeDown: false })).toBe('reachable');
  });
  test('a manager that is not a Raft member (left, or still joining) is unreachable', () => {
    expect(reachabilityOf('z', { id: 'a', role: Role.Leader, leader: 'a', members }, { activeRecently: true, nodeDown: false })).toBe('unreachable');
  });
});
