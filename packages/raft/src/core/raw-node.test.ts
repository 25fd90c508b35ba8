// Smoke tests of the RawNode API over a synchronous cluster.
import { Cluster } from '../sim/cluster';
import { ProposalDroppedError, RaftUsageError } from './errors';
import { MemoryStorage } from './memory-storage';
import { RawNode } from './raw-node';
import { EntryType, MessageType } from '../types';

describe('RawNode', () => {
  test('a three-node cluster elects a leader and replicates a proposal to all', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.campaign('a');
    c.stabilize();
    expect(c.leader()).toBe('a');
    c.propose('a', 'x=1');
    c.stabilize();
    for (const id of ['a', 'b', 'c']) expect(c.appliedData(id)).toEqual(['x=1']);
  });

  test('a follower forwards proposals to the leader', () => {
    const c = new Cluster(['a', 'b', 'c']);
    c.campaign('a');
    c.stabilize();
    c.propose('b', 'from-b');
    c.stabilize();
    expect(c.appliedData('c')).toEqual(['from-b']);
  });

  test('propose without a leader throws ProposalDroppedError', () => {
    const c = new Cluster(['a', 'b', 'c']);
    expect(() => c.propose('a', 'x')).toThrow(ProposalDroppedError);
  });

  test('ready() twice without advance() is a usage error', () => {
    const s = MemoryStorage.bootstrap(['a']);
    const n = new RawNode(
      {
        id: 'a',
        electionTicks: 10,
        heartbeatTicks: 1,
        preVote: false,
        checkQuorum: false,
        maxSizePerMsg: 1 << 20,
        maxInflightMsgs: 8,
        random: () => 0,
      },
      s,
    );
    n.campaign();
    expect(n.hasReady()).toBe(true);
    n.ready();
    expect(() => n.ready()).toThrow(RaftUsageError);
  });

  test('a single node commits its own proposals at once', () => {
    const c = new Cluster(['a']);
    c.campaign('a');
    c.propose('a', 'solo');
    expect(c.appliedData('a')).toEqual(['solo']);
    expect(c.node('a').raw.status()).toMatchObject({ role: 'leader', leader: 'a', term: 2 });
  });
});

describe('RawNode Ready/advance contract', () => {
  const cfg = (id: string) => ({
    id,
    electionTicks: 10,
    heartbeatTicks: 1,
    preVote: false,
    checkQuorum: false,
    maxSizePerMsg: 1 << 20,
    maxInflightMsgs: 8,
    random: () => 0,
  });
  const ent = (index: number, term: number, s: string) => ({
    index,
    term,
    type: EntryType.Normal,
    data: new TextEncoder().encode(s),
  });

  test('entries replaced between ready() and advance() are not taken for persisted ones', () => {
    const s = MemoryStorage.bootstrap(['l', 'f', 'g']);
    const n = new RawNode(cfg('f'), s);
    n.step({
      type: MessageType.Append,
      from: 'l',
      to: 'f',
      term: 2,
      index: 1,
      logTerm: 1,
      commit: 1,
      entries: [ent(2, 2, 'old')],
    });
    const rd = n.ready();
    expect(rd.entries.map((e) => `${e.index}/${e.term}`)).toEqual(['2/2']);
    // While that write is in flight, a new leader overwrites index 2.
    n.step({
      type: MessageType.Append,
      from: 'g',
      to: 'f',
      term: 3,
      index: 1,
      logTerm: 1,
      commit: 1,
      entries: [ent(2, 3, 'new')],
    });
    s.append(rd.entries);
    if (rd.hardState) s.setHardState(rd.hardState);
    n.advance(rd);
    const rd2 = n.ready();
    expect(rd2.entries.map((e) => `${e.index}/${e.term}`)).toEqual(['2/3']);
  });

  test('§5.3: a follower commits no further than the entries this append proved to match', () => {
    const s = MemoryStorage.bootstrap(['l', 'f', 'g']);
    s.append([ent(2, 2, 'a'), ent(3, 2, 'unverified')]);
    s.setHardState({ term: 3, vote: null, commit: 1 });
    const n = new RawNode(cfg('f'), s);
    // A (possibly delayed) append covering only index 2, from a leader whose commit is 3 in its own log.
    n.step({
      type: MessageType.Append,
      from: 'l',
      to: 'f',
      term: 3,
      index: 1,
      logTerm: 1,
      commit: 3,
      entries: [ent(2, 2, 'a')],
    });
    expect(n.status().commit).toBe(2);
  });
});

describe('parallel leader writes (thesis §10.2.1)', () => {
  test('the leader sends appends before its own write, but counts itself only once it is durable', () => {
    const s = MemoryStorage.bootstrap(['a', 'b', 'c']);
    const cfg = {
      id: 'a',
      electionTicks: 10,
      heartbeatTicks: 1,
      preVote: false,
      checkQuorum: false,
      maxSizePerMsg: 1 << 20,
      maxInflightMsgs: 8,
      random: () => 0,
      parallelLeaderWrites: true,
    };
    const n = new RawNode(cfg, s);
    n.campaign();
    const persist = (rd: ReturnType<RawNode['ready']>): void => {
      s.append(rd.entries);
      if (rd.hardState) s.setHardState(rd.hardState);
      n.advance(rd);
    };
    persist(n.ready());
    n.step({ type: MessageType.VoteResp, from: 'b', to: 'a', term: 2 });
    const rd = n.ready();
    expect(rd.entries.map((e) => e.index)).toEqual([2]);
    expect(rd.messagesBeforePersist?.map((m) => `${m.type}->${m.to}`)).toEqual(['Append->b', 'Append->c']);
    expect(rd.messages).toEqual([]);
    // b acknowledges before a's own write completes: one durable copy of two is no majority.
    n.step({ type: MessageType.AppendResp, from: 'b', to: 'a', term: 2, index: 2 });
    expect(n.status().commit).toBe(1);
    persist(rd);
    expect(n.status().commit).toBe(2);
  });

  test('a single node with parallel writes commits after its write', () => {
    const c = new Cluster(['a'], { parallelLeaderWrites: true });
    c.campaign('a');
    c.propose('a', 'solo');
    expect(c.appliedData('a')).toEqual(['solo']);
  });
});

test('proposeBatch appends several entries in one message per follower', () => {
  const c = new Cluster(['a', 'b', 'c']);
  c.campaign('a');
  c.stabilize();
  c.node('a').raw.proposeBatch(['x', 'y', 'z'].map((s) => new TextEncoder().encode(s)));
  c.process('a');
  const appends = c.pending(MessageType.Append);
  expect(appends.map((m) => m.entries?.length)).toEqual([3, 3]);
  c.stabilize();
  expect(c.appliedData('c')).toEqual(['x', 'y', 'z']);
});
