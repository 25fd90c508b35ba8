import { Role } from '@flotilla/raft';
import { canRemoveMember, reachabilityOf, settledQuorumCheck } from './quorum';

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
    expect(
      reachabilityOf(
        'z',
        { id: 'a', role: Role.Leader, leader: 'a', members },
        { activeRecently: true, nodeDown: false },
      ),
    ).toBe('unreachable');
  });
});

describe('settledQuorumCheck (may a leader judge quorum yet?)', () => {
  /** A leader that took over at t=0 on a fake clock; `reachableAt`: when its last peer answers. */
  function leader(o: { ageMs: number; reachableAt: number; lostAt?: number }) {
    let now = o.ageMs;
    const polls: number[] = [];
    const check = settledQuorumCheck({
      quorumKept: () => now >= o.reachableAt,
      leaderAgeMs: () => now,
      isLeader: () => o.lostAt === undefined || now < o.lostAt,
      windowMs: 1500,
      pollMs: 100,
      sleep: async (ms) => {
        polls.push(now);
        now += ms;
      },
    });
    return { check, polls, now: () => now };
  }

  test('a young leader waits for a peer whose connection is still opening, then allows', async () => {
    const l = leader({ ageMs: 300, reachableAt: 700 });
    expect(await l.check).toBe(true);
    expect(l.now()).toBe(700);
    expect(l.polls.length).toBe(4);
  });

  test('a young leader refuses once its leadership is as old as the window and the peer never answered', async () => {
    const l = leader({ ageMs: 300, reachableAt: Infinity });
    expect(await l.check).toBe(false);
    expect(l.now()).toBe(1500);
  });

  test('a mature leader answers at once, either way', async () => {
    const down = leader({ ageMs: 5000, reachableAt: Infinity });
    expect(await down.check).toBe(false);
    expect(down.polls).toEqual([]);
    const up = leader({ ageMs: 5000, reachableAt: 0 });
    expect(await up.check).toBe(true);
    expect(up.polls).toEqual([]);
  });

  test('stops waiting when leadership is lost (the caller asks the new leader)', async () => {
    const l = leader({ ageMs: 0, reachableAt: Infinity, lostAt: 400 });
    expect(await l.check).toBe(false);
    expect(l.now()).toBe(400);
  });
});
