// The driver over real storage and real gRPC on loopback, in one process (the multi-process
// kill -9 test is test/raft/). Sections cite the Raft paper / thesis.
import { promises as fsp } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Role } from '../types';
import { NotLeaderError, ProposalTimeoutError, RaftAbortedError } from './errors';
import { encodeKv, KvStateMachine } from './kv-state-machine';
import { type RaftNodeOptions } from './options';
import { RaftNode } from './raft-node';
import { type KvResult } from './kv-state-machine';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Member {
  id: string;
  node: RaftNode<KvResult>;
  sm: KvStateMachine;
  opts: RaftNodeOptions<KvResult>;
}

// Real processes share 2 cores with other suites: allow for a slow machine.
jest.setTimeout(30_000);

let root: string;
let members: Member[] = [];

beforeEach(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'flotilla-raftnode-'));
  members = [];
});
afterEach(async () => {
  await Promise.all(members.map((m) => m.node.stop()));
  await fsp.rm(root, { recursive: true, force: true });
});

async function startMember(
  id: string,
  peers: Record<string, string>,
  extra: Partial<RaftNodeOptions<KvResult>> = {},
): Promise<Member> {
  const sm = new KvStateMachine();
  const listen = peers[id];
  if (!listen) throw new Error(`no address for ${id} in peers`);
  const opts: RaftNodeOptions<KvResult> = {
    id,
    dataDir: path.join(root, id),
    listen,
    peers: Object.fromEntries(Object.entries(peers).filter(([k]) => k !== id)),
    bootstrap: true,
    stateMachine: sm,
    tickMs: 20,
    electionTicks: 10,
    ...extra,
  };
  const node = await RaftNode.start(opts);
  const m = { id, node, sm, opts };
  members.push(m);
  return m;
}

async function cluster(ids: string[], extra: Partial<RaftNodeOptions<KvResult>> = {}): Promise<Record<string, string>> {
  const peers: Record<string, string> = {};
  for (const id of ids) peers[id] = `127.0.0.1:${await freePort()}`;
  for (const id of ids) await startMember(id, peers, extra);
  return peers;
}

function leaderOf(): Member | undefined {
  return members.find((m) => m.node.status().role === Role.Leader);
}

const put = (key: string, value: string) => encodeKv({ op: 'put', key, value });

describe('RaftNode', () => {
  it('elects a leader (§5.2) and applies proposals from leader and followers on every member (§5.3)', async () => {
    await cluster(['a', 'b', 'c']);
    await until('a leader', () => leaderOf() !== undefined);
    const leader = leaderOf()!;
    const follower = members.find((m) => m !== leader)!;
    const r1 = await leader.node.propose(put('x', '1'));
    const r2 = await follower.node.propose(put('x', '2'));
    expect(r1.prev).toBeNull();
    expect(r2).toEqual({ index: r1.index + 1, prev: '1' });
    await until('all applied', () => members.every((m) => m.sm.data.get('x') === '2'));
    const st = follower.node.status();
    expect(st.leader).toBe(leader.id);
    expect(st.leaderAddress).toBe(leader.node.address);
    expect(st.members.map((m) => m.id).sort()).toEqual(['a', 'b', 'c']);
  });

  it('group-commits concurrent proposals; linearizable reads see every acknowledged write (§8)', async () => {
    await cluster(['a', 'b', 'c']);
    await until('a leader', () => leaderOf() !== undefined);
    const leader = leaderOf()!;
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => leader.node.propose(put(`k${i}`, `v${i}`))),
    );
    // Proposed in the same turn of the event loop: one log entry, applied in proposal order.
    expect(new Set(results.map((r) => r.index)).size).toBe(1);
    expect(results.map((r) => r.prev)).toEqual(Array(300).fill(null));
    const follower = members.find((m) => m !== leader)!;
    await follower.node.read();
    for (let i = 0; i < 300; i++) expect(follower.sm.data.get(`k${i}`)).toBe(`v${i}`);
  });

  it('a follower with forwarding off rejects with NotLeaderError naming the leader', async () => {
    await cluster(['a', 'b', 'c'], { forwardProposals: false });
    await until('a leader', () => leaderOf() !== undefined);
    const leader = leaderOf()!;
    const follower = members.find((m) => m !== leader)!;
    await until('follower knows leader', () => follower.node.status().leader === leader.id);
    const err = await follower.node.propose(put('a', 'b')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotLeaderError);
    expect((err as NotLeaderError).leader).toBe(leader.id);
    expect((err as NotLeaderError).leaderAddress).toBe(leader.node.address);
  });

  it('fails over when the leader stops (§5.2), and the restarted node catches up by snapshot (§7)', async () => {
    const peers = await cluster(['a', 'b', 'c'], { snapshotEvery: 50, keepEntries: 5 });
    await until('a leader', () => leaderOf() !== undefined);
    const old = leaderOf()!;
    for (let i = 0; i < 20; i++) await old.node.propose(put(`before${i}`, 'x'));
    await old.node.stop();
    members = members.filter((m) => m !== old);
    await until('a new leader', () => leaderOf() !== undefined, 5000);
    const leader = leaderOf()!;
    for (let i = 0; i < 120; i++) await leader.node.propose(put(`after${i}`, 'y'));
    expect(leader.node.status().snapshotIndex).toBeGreaterThan(0);
    const back = await startMember(old.id, peers, { snapshotEvery: 50, keepEntries: 5 });
    await until('restarted node caught up', () => back.sm.data.get('after119') === 'y', 10_000);
    expect(back.sm.data.get('before0')).toBe('x');
    // Its log was compacted away on the leader: it can only have caught up from a snapshot.
    expect(back.node.status().snapshotIndex).toBeGreaterThanOrEqual(50);
    expect(back.sm.data.size).toBe(140);
  });

  it('without a quorum a proposal times out (ProposalTimeoutError) or is aborted by its signal (RaftAbortedError)', async () => {
    await cluster(['a', 'b', 'c']);
    await until('a leader', () => leaderOf() !== undefined);
    const leader = leaderOf()!;
    for (const m of members.filter((x) => x !== leader)) await m.node.stop();
    members = [leader];
    const timedOut = leader.node.propose(put('lost', '1'), { timeoutMs: 100 }).catch((e: unknown) => e);
    const ac = new AbortController();
    const aborted = leader.node.propose(put('lost', '2'), { signal: ac.signal }).catch((e: unknown) => e);
    setTimeout(() => ac.abort(), 20);
    expect(await timedOut).toBeInstanceOf(ProposalTimeoutError);
    expect(await aborted).toBeInstanceOf(RaftAbortedError);
    expect(leader.sm.data.has('lost')).toBe(false);
  });

  it('adds a learner, promotes it once caught up, and removes a member (§6)', async () => {
    const peers = await cluster(['a', 'b', 'c']);
    await until('a leader', () => leaderOf() !== undefined);
    const leader = leaderOf()!;
    for (let i = 0; i < 10; i++) await leader.node.propose(put(`k${i}`, 'v'));
    const dAddr = `127.0.0.1:${await freePort()}`;
    const d = await startMember('d', { ...peers, d: dAddr }, { bootstrap: false });
    await leader.node.addMember('d', dAddr);
    expect(leader.node.status().members.find((m) => m.id === 'd')).toEqual({ id: 'd', address: dAddr, voter: true });
    await until('d applied', () => d.sm.data.size === 10);
    await leader.node.propose(put('late', 'z'));
    await until('d got late write', () => d.sm.data.get('late') === 'z');
    const victim = members.find((m) => m !== leader && m.id !== 'd')!;
    await leader.node.removeMember(victim.id);
    expect(leader.node.status().members.map((m) => m.id)).not.toContain(victim.id);
  });
});
