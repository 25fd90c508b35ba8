// A deterministic simulation of a Raft cluster under faults: partitions, drops, duplicates,
// reordering, delays, crashes with torn writes, restarts, membership changes and leadership
// transfers, with a key-value store on top whose client history must be linearizable.
// Everything derives from one seed, so a failing schedule replays exactly.
import { decodeConfChange } from '../core/entries';
import { CompactedError, ConfChangeRejectedError, ProposalDroppedError, RaftError } from '../core/errors';
import { MemoryStorage } from '../core/memory-storage';
import {
  ConfChangeType,
  EntryType,
  MessageType,
  Role,
  type ConfChange,
  type Entry,
  type Message,
  type NodeId,
  type RaftConfig,
  type Ready,
} from '../types';
import { SafetyChecker } from './checker';
import { SafetyViolation } from './errors';
import { KvStore, decodeCommand, encodeCommand, type KvCommand, type KvResult } from './kv';
import { checkHistory, type HistoryOp } from './linearizability';
import { Network } from './network';
import { Rng } from './rng';
import { SimNode } from './sim-node';

export interface SimOptions {
  nodes: 3 | 5;
  /** Length of the faulty phase, in ticks. */
  ticks?: number;
  /** Record every delivery in the schedule (for replaying a failure). */
  verbose?: boolean;
}

export interface SimResult {
  seed: number;
  nodes: number;
  ok: boolean;
  violation?: string;
  /** The schedule: every fault, client operation and (verbose) delivery, with its micro-step. */
  schedule: string[];
  params: string;
  stats: {
    ticks: number;
    elections: number;
    applied: number;
    ops: number;
    opsAcked: number;
    messages: number;
    crashes: number;
    truncations: number;
    confChanges: number;
    linearizability: 'ok' | 'unknown';
  };
}

const MICRO_PER_TICK = 4;
const ELECTION_TICKS = 10;

interface ClientOp {
  hist: HistoryOp;
  node: NodeId;
  deadline: number;
  /** ReadIndex reads: the context and, once known, the read index. */
  ctx?: string;
  readAt?: number;
}

export class Simulation {
  private readonly rng: Rng;
  private readonly net: Network;
  private readonly nodes = new Map<NodeId, SimNode>();
  private readonly checker = new SafetyChecker();
  private readonly schedule: string[] = [];
  private readonly history: HistoryOp[] = [];
  private readonly clients: (ClientOp | null)[];
  private readonly waits = new Map<string, ClientOp>();
  private readonly spares: NodeId[];
  private readonly written = new Map<string, string[]>();
  /** Nodes whose removal some node applied. */
  private readonly removedIds = new Set<NodeId>();
  /** Nodes to crash at a given micro-step. */
  private readonly doomed = new Map<NodeId, { at: number; isolate: boolean }>();
  private faulty = true;
  private churn = false;
  private now = 0;
  private clock = 0;
  private seq = 0;
  private crashes = 0;
  private truncations = 0;
  private confChanges = 0;
  private readonly p: {
    preVote: boolean;
    checkQuorum: boolean;
    heartbeatTicks: number;
    maxSizePerMsg: number;
    maxInflight: number;
    slowPersist: number;
    torn: number;
    partitionRate: number;
    crashRate: number;
    /** Chance that a new leader crashes a few micro-steps into its term (figure-8 style runs). */
    leaderCrash: number;
    restartRate: number;
    confRate: number;
    transferRate: number;
    snapshotEvery: number;
    keep: number;
    keys: number;
    opRate: number;
    readIndexShare: number;
    parallelLeaderWrites: boolean;
  };

  constructor(
    readonly seed: number,
    private readonly opts: SimOptions,
  ) {
    this.rng = new Rng(seed);
    const r = this.rng;
    this.p = {
      preVote: r.chance(0.7),
      checkQuorum: r.chance(0.7),
      heartbeatTicks: r.int(1, 3),
      maxSizePerMsg: r.pick([1, 1, 150, 600, 1 << 20]),
      maxInflight: r.int(1, 6),
      slowPersist: r.pick([0, 0.2, 0.6]),
      torn: r.pick([0.3, 0.7]),
      partitionRate: r.pick([0, 0.02, 0.06]),
      crashRate: r.pick([0, 0.01, 0.03]),
      leaderCrash: r.pick([0, 0.2, 0.5, 0.8]),
      restartRate: r.pick([0.05, 0.2]),
      confRate: r.pick([0, 0.02, 0.05]),
      transferRate: r.pick([0, 0.01]),
      snapshotEvery: r.int(3, 40),
      keep: r.int(0, 4),
      keys: r.int(1, 3),
      opRate: r.pick([0.05, 0.15, 0.3]),
      readIndexShare: r.pick([0.3, 0.7]),
      parallelLeaderWrites: r.chance(0.5),
    };
    this.net = new Network(r.fork(), {
      drop: r.pick([0, 0.02, 0.1, 0.25]),
      duplicate: r.pick([0, 0.02, 0.1]),
      maxDelay: r.pick([1, 3, 8, 20]),
    });
    if (r.chance(0.3)) {
      // Leader churn: nearly every new leader is cut off or crashes within a round trip or two,
      // leaving uncommitted entries of many terms on different nodes (the Figure 8 situations).
      this.churn = true;
      this.p.leaderCrash = r.pick([0.9, 0.97]);
      this.p.maxSizePerMsg = r.pick([1, 1, 150]);
      this.p.partitionRate = 0;
      this.p.crashRate = 0;
      this.p.opRate = r.pick([0.3, 0.6]);
      this.net.faults.maxDelay = r.pick([2, 4]);
    }
    this.clients = new Array<ClientOp | null>(3).fill(null);
    const all = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const voters = all.slice(0, opts.nodes);
    this.spares = all.slice(opts.nodes);
    for (const id of voters) {
      const n = new SimNode(id, MemoryStorage.bootstrap(voters));
      n.start(this.config(id));
      this.nodes.set(id, n);
    }
  }

  private config(id: NodeId): RaftConfig {
    const jitter = this.rng.fork();
    return {
      id,
      electionTicks: ELECTION_TICKS,
      heartbeatTicks: this.p.heartbeatTicks,
      preVote: this.p.preVote,
      checkQuorum: this.p.checkQuorum,
      maxSizePerMsg: this.p.maxSizePerMsg,
      maxInflightMsgs: this.p.maxInflight,
      random: () => jitter.float(),
      parallelLeaderWrites: this.p.parallelLeaderWrites,
    };
  }

  private log(s: string): void {
    this.schedule.push(`${this.now} ${s}`);
  }

  run(): SimResult {
    const ticks = this.opts.ticks ?? 200;
    let violation: string | undefined;
    let lin: 'ok' | 'unknown' = 'ok';
    try {
      for (let t = 0; t < ticks; t++) this.tickRound(true);
      this.liveness();
      const logs = new Map<NodeId, Entry[]>();
      for (const n of this.nodes.values()) {
        const st = n.storage;
        logs.set(n.id, st.lastIndex() >= st.firstIndex() ? st.entries(st.firstIndex(), st.lastIndex() + 1) : []);
      }
      this.checker.compareLogs(logs);
      const res = checkHistory(this.history);
      if (res.ok === false) {
        violation = `linearizability: history of key ${res.key} is not linearizable:\n${res.ops.map(fmtOp).join('\n')}`;
      } else if (res.ok === 'unknown') {
        lin = 'unknown';
      }
    } catch (e) {
      if (e instanceof SafetyViolation) violation = e.message;
      else violation = `exception: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
    }
    const acked = this.history.filter((o) => o.ret !== Infinity).length;
    return {
      seed: this.seed,
      nodes: this.opts.nodes,
      ok: violation === undefined,
      violation,
      schedule: this.schedule,
      params: JSON.stringify({ ...this.p, churn: this.churn, net: this.net.faults }),
      stats: {
        ticks,
        elections: this.checker.elections,
        applied: this.checker.appliedCount(),
        ops: this.history.length,
        opsAcked: acked,
        messages: this.net.sent,
        crashes: this.crashes,
        truncations: this.truncations,
        confChanges: this.confChanges,
        linearizability: lin,
      },
    };
  }

  /** One tick: faults and clients, then MICRO_PER_TICK micro-steps of deliveries and persists. */
  private tickRound(faulty: boolean): void {
    if (faulty) {
      this.faults();
      this.clientsStep();
    }
    for (const id of this.rng.shuffle([...this.nodes.keys()])) {
      const n = this.node(id);
      if (!n.raw) continue;
      n.raw.tick();
      this.process(n);
    }
    for (let i = 0; i < MICRO_PER_TICK; i++) {
      this.now++;
      for (const m of this.net.due(this.now)) this.deliver(m);
      for (const n of this.nodes.values()) {
        if (n.pending && n.pending.doneAt <= this.now) this.complete(n);
      }
      for (const [id, d] of this.doomed) {
        if (d.at > this.now) continue;
        this.doomed.delete(id);
        const n = this.node(id);
        if (!n.up || !this.faulty) continue;
        if (d.isolate) {
          const others = [...this.nodes.keys()].filter((x) => x !== id);
          this.net.partition([[id], others]);
          this.log(`isolate leader ${id}`);
        } else {
          this.crash(n);
        }
      }
    }
    this.expireClients();
  }

  private node(id: NodeId): SimNode {
    return this.nodes.get(id) as SimNode;
  }

  // ---- Ready handling ------------------------------------------------------------------------

  private process(n: SimNode): void {
    while (n.raw && !n.pending && n.raw.hasReady()) {
      const rd = n.raw.ready();
      this.observe(n, rd);
      // Leader messages allowed out before the write (thesis §10.2.1) race with a crash.
      for (const m of rd.messagesBeforePersist ?? []) this.send(n, m);
      const slow = this.rng.chance(this.p.slowPersist);
      n.pending = { rd, doneAt: this.now + (slow ? this.rng.int(1, 6) : 0) };
      if (!slow) this.complete(n);
    }
  }

  /** Safety checks on what a Ready is about to make durable or announce. */
  private observe(n: SimNode, rd: Ready): void {
    const raw = n.raw;
    if (!raw) return;
    let prev: Entry | undefined;
    const first = rd.entries[0];
    if (first && first.index <= n.storage.lastIndex()) {
      if (termOrUndefined(() => n.storage.term(first.index)) !== first.term) this.truncations++;
    }
    for (const e of rd.entries) {
      let prevTerm: number | undefined;
      if (prev && prev.index === e.index - 1) prevTerm = prev.term;
      else if (rd.snapshot && rd.snapshot.meta.index === e.index - 1) prevTerm = rd.snapshot.meta.term;
      else prevTerm = termOrUndefined(() => raw.logTerm(e.index - 1));
      if (prev && prev.index !== e.index - 1)
        throw new SafetyViolation(`${n.id}: Ready entries not contiguous at ${e.index}`);
      this.checker.onStore(n.id, e, prevTerm);
      prev = e;
    }
    if (rd.softState?.role === Role.Leader) {
      const term = raw.status().term;
      this.checker.onLeader(n.id, term, (i) => termOrUndefined(() => raw.logTerm(i)));
      this.log(`leader ${n.id} term ${term}`);
      if (this.faulty && this.rng.chance(this.p.leaderCrash)) {
        const within = this.churn ? this.rng.pick([2, 6, 10]) : this.rng.pick([4, 12, 30]);
        this.doomed.set(n.id, {
          at: this.now + this.rng.int(0, within),
          isolate: this.rng.chance(this.churn ? 0.7 : 0.5),
        });
      }
    }
  }

  /** The write is durable: send, apply, advance. */
  private complete(n: SimNode): void {
    const pend = n.pending;
    if (!pend || !n.raw) return;
    const rd = pend.rd;
    if (rd.snapshot) n.storage.applySnapshot(rd.snapshot);
    n.storage.append(rd.entries);
    if (rd.hardState) n.storage.setHardState(rd.hardState);
    for (const m of rd.messages) this.send(n, m);
    if (rd.snapshot) {
      const s = rd.snapshot;
      n.kv = KvStore.restore(s.data);
      n.conf = s.meta.conf;
      n.applied = s.meta.index;
      this.checker.onSnapshot(n.id, s.meta.index, s.meta.term);
      for (const op of this.waits.values()) if (op.node === n.id) this.maybeAnswerFromResults(n, op);
    }
    for (const e of rd.committedEntries) {
      if (!n.raw) break;
      this.apply(n, e);
    }
    const raw = n.raw;
    if (!raw) return; // removed itself while applying
    for (const rs of rd.readStates) {
      const op = this.waits.get(rs.context);
      if (op && op.node === n.id) op.readAt = rs.index;
    }
    this.serveReads(n);
    this.maybeSnapshot(n);
    raw.advance(rd);
    n.pending = null;
    this.process(n);
  }

  private apply(n: SimNode, e: Entry): void {
    if (e.index !== n.applied + 1) throw new SafetyViolation(`${n.id} applied index ${e.index} after ${n.applied}`);
    this.checker.onApply(n.id, e);
    n.applied = e.index;
    if (e.type === EntryType.ConfChange) {
      const cc = decodeConfChange(e);
      n.conf = (n.raw as NonNullable<SimNode['raw']>).applyConfChange(cc);
      if (cc.type === ConfChangeType.Remove) this.removedIds.add(cc.node);
      if (cc.type === ConfChangeType.Remove && cc.node === n.id) {
        this.log(`${n.id} applied its own removal and stops`);
        n.removed = true;
        this.stopNode(n);
      }
      return;
    }
    if (e.data.length === 0) return;
    const cmd = decodeCommand(e.data);
    const res = n.kv.apply(cmd);
    const op = this.waits.get(cmd.id);
    if (op && op.node === n.id) this.answer(op, res);
  }

  private maybeAnswerFromResults(n: SimNode, op: ClientOp): void {
    if (op.ctx !== undefined) return;
    const res = n.kv.result(op.hist.id);
    if (res) this.answer(op, res);
  }

  private serveReads(n: SimNode): void {
    for (const op of [...this.waits.values()]) {
      if (op.node !== n.id || op.readAt === undefined || op.readAt > n.applied) continue;
      this.answer(op, { ok: true, value: n.kv.get(op.hist.key) });
    }
  }

  private maybeSnapshot(n: SimNode): void {
    const s = n.storage;
    if (n.applied - (s.snapshot()?.meta.index ?? 0) < this.p.snapshotEvery) return;
    s.createSnapshot(n.applied, n.conf, n.kv.snapshot());
    const to = n.applied - this.p.keep;
    if (to >= s.firstIndex()) s.compact(to);
  }

  // ---- network ---------------------------------------------------------------------------------

  private send(from: SimNode, m: Message): void {
    if (!this.net.send(m, this.now) && m.type === MessageType.Snapshot) {
      // The transport sees its snapshot stream fail.
      from.raw?.reportSnapshot(m.to, false);
    }
  }

  private deliver(m: Message): void {
    const to = this.nodes.get(m.to);
    const from = this.nodes.get(m.from);
    const ok = to !== undefined && to.raw !== null && this.net.connected(m.from, m.to);
    if (m.type === MessageType.Snapshot && from?.raw) {
      from.raw.reportSnapshot(m.to, ok);
      if (from.pending === null) this.process(from);
    }
    if (!ok) {
      if (from?.raw && this.rng.chance(0.3)) from.raw.reportUnreachable(m.to);
      return;
    }
    if (this.opts.verbose) this.log(`deliver ${fmtMsg(m)}`);
    const n = to as SimNode;
    (n.raw as NonNullable<SimNode['raw']>).step(m);
    this.process(n);
  }

  // ---- faults ----------------------------------------------------------------------------------

  private faults(): void {
    const r = this.rng;
    const ids = [...this.nodes.keys()].filter((id) => !this.node(id).removed);
    if (r.chance(this.p.partitionRate)) {
      if (r.chance(0.35)) {
        this.net.heal();
        this.log('heal');
      } else {
        const shuffled = r.shuffle(ids.slice());
        const cut = r.int(1, shuffled.length - 1);
        const groups = [shuffled.slice(0, cut), shuffled.slice(cut)];
        this.net.partition(groups);
        this.log(`partition ${groups.map((g) => g.sort().join(',')).join(' | ')}`);
      }
    }
    if (r.chance(this.p.crashRate)) {
      const up = ids.filter((id) => this.node(id).up);
      if (up.length > 0) this.crash(this.node(r.pick(up)));
    }
    for (const id of ids) {
      const n = this.node(id);
      if (!n.up && r.chance(this.p.restartRate)) this.restart(n);
    }
    if (r.chance(this.p.confRate)) this.membershipChange();
    if (r.chance(this.p.transferRate)) {
      const l = this.leader();
      if (l?.raw) {
        const target = r.pick(l.conf.voters);
        try {
          l.raw.transferLeadership(target);
          this.log(`transfer ${l.id} -> ${target}`);
        } catch (e) {
          if (!(e instanceof RaftError)) throw e;
        }
        this.process(l);
      }
    }
  }

  /** A crash loses memory; a Ready being written may be torn: only a prefix of its records lands. */
  private crash(n: SimNode): void {
    this.crashes++;
    let note = '';
    const pend = n.pending;
    if (pend && this.rng.chance(this.p.torn)) {
      const rd = pend.rd;
      const records = (rd.snapshot ? 1 : 0) + rd.entries.length + (rd.hardState ? 1 : 0);
      let k = this.rng.int(0, records);
      note = ` (torn write: ${k}/${records} records durable)`;
      // Records land in order: snapshot, entries, hard state.
      if (rd.snapshot && k > 0) {
        n.storage.applySnapshot(rd.snapshot);
        k--;
      }
      const ents = rd.entries.slice(0, Math.min(k, rd.entries.length));
      n.storage.append(ents);
      k -= ents.length;
      if (k > 0 && rd.hardState) n.storage.setHardState(rd.hardState);
    } else if (pend) {
      note = ' (unsynced write lost)';
    }
    this.log(`crash ${n.id}${note}`);
    this.stopNode(n);
  }

  private stopNode(n: SimNode): void {
    n.stop();
    for (const [k, op] of this.waits) {
      if (op.node !== n.id) continue;
      this.waits.delete(k);
      this.abandon(op);
    }
  }

  private restart(n: SimNode): void {
    n.restarts++;
    n.start(this.config(n.id));
    this.log(`restart ${n.id}`);
    this.process(n);
  }

  private leader(): SimNode | undefined {
    let best: SimNode | undefined;
    let bestTerm = -1;
    for (const n of this.nodes.values()) {
      if (!n.raw) continue;
      const st = n.raw.status();
      if (st.role === Role.Leader && st.term > bestTerm) {
        best = n;
        bestTerm = st.term;
      }
    }
    return best;
  }

  private membershipChange(): void {
    const l = this.leader();
    if (!l?.raw) return;
    const r = this.rng;
    const { voters, learners } = l.conf;
    const spare = this.spares[0];
    let cc: ConfChange;
    if (learners.length > 0 && r.chance(0.7)) {
      cc = { type: ConfChangeType.AddVoter, node: r.pick(learners) };
    } else if (spare !== undefined && voters.length + learners.length < this.opts.nodes + 1 && r.chance(0.6)) {
      cc = { type: ConfChangeType.AddLearner, node: spare };
    } else if (voters.length > Math.max(2, this.opts.nodes - 2)) {
      cc = { type: ConfChangeType.Remove, node: r.pick(voters) };
    } else {
      return;
    }
    try {
      l.raw.proposeConfChange(cc);
    } catch (e) {
      if (e instanceof ConfChangeRejectedError || e instanceof ProposalDroppedError) {
        this.log(`conf ${ConfChangeType[cc.type]} ${cc.node} refused by ${l.id}: ${e.message}`);
        return;
      }
      throw e;
    }
    this.confChanges++;
    this.log(`conf ${ConfChangeType[cc.type]} ${cc.node} proposed at ${l.id}`);
    if (cc.type === ConfChangeType.AddLearner && !this.nodes.has(cc.node)) {
      this.spares.shift();
      const n = new SimNode(cc.node, new MemoryStorage());
      this.nodes.set(cc.node, n);
      n.start(this.config(cc.node));
    }
    this.process(l);
  }

  // ---- clients -----------------------------------------------------------------------------------

  private clientsStep(): void {
    for (let c = 0; c < this.clients.length; c++) {
      if (this.clients[c] === null && this.rng.chance(this.p.opRate)) this.issue(c);
    }
  }

  private issue(client: number): void {
    const r = this.rng;
    const candidates = [...this.nodes.values()].filter((n) => n.raw && !n.removed);
    if (candidates.length === 0) return;
    const n = r.pick(candidates);
    const raw = n.raw as NonNullable<SimNode['raw']>;
    const key = `k${r.int(0, this.p.keys - 1)}`;
    const id = `c${client}.${++this.seq}`;
    const roll = r.float();
    const hist: HistoryOp = { id, client, kind: 'put', key, call: 0, ret: Infinity };
    let cmd: KvCommand | undefined;
    let ctx: string | undefined;
    if (roll < 0.35) {
      hist.value = `v${this.seq}`;
      cmd = { id, op: 'put', key, value: hist.value };
    } else if (roll < 0.6) {
      hist.kind = 'cas';
      const prior = this.written.get(key) ?? [];
      hist.expect = prior.length > 0 && r.chance(0.8) ? r.pick(prior.slice(-3)) : null;
      hist.value = `v${this.seq}`;
      cmd = { id, op: 'cas', key, expect: hist.expect, value: hist.value };
    } else {
      hist.kind = 'get';
      if (r.chance(this.p.readIndexShare)) ctx = `${n.id}/${id}`;
      else cmd = { id, op: 'get', key };
    }
    if (hist.value !== undefined) this.written.set(key, [...(this.written.get(key) ?? []), hist.value]);
    hist.call = ++this.clock;
    try {
      if (cmd) raw.propose(encodeCommand(cmd));
      else raw.readIndex(ctx as string);
    } catch (e) {
      if (e instanceof ProposalDroppedError) return; // refused: certainly no effect
      throw e;
    }
    const op: ClientOp = { hist, node: n.id, deadline: this.now + 40 * MICRO_PER_TICK, ctx };
    this.history.push(hist);
    this.clients[client] = op;
    this.waits.set(ctx ?? id, op);
    this.log(`client ${client} ${fmtOp(hist)} at ${n.id}${ctx ? ' (ReadIndex)' : ''}`);
    this.process(n);
  }

  private answer(op: ClientOp, res: KvResult): void {
    const key = op.ctx ?? op.hist.id;
    if (this.waits.get(key) !== op) return;
    this.waits.delete(key);
    op.hist.ret = ++this.clock;
    if (op.hist.kind === 'get') op.hist.read = res.value ?? null;
    if (op.hist.kind === 'cas') op.hist.ok = res.ok;
    this.clients[op.hist.client] = null;
  }

  /** The client gave up: a write may still take effect (ret stays Infinity); a read is void. */
  private abandon(op: ClientOp): void {
    if (op.hist.kind === 'get') {
      const i = this.history.indexOf(op.hist);
      if (i >= 0) this.history.splice(i, 1);
    }
    this.clients[op.hist.client] = null;
  }

  private expireClients(): void {
    for (const [k, op] of this.waits) {
      if (op.deadline > this.now) continue;
      this.waits.delete(k);
      this.abandon(op);
    }
  }

  // ---- liveness ----------------------------------------------------------------------------------

  /**
   * After the faults stop (network healed, no drops, every member restarted, nodes removed from
   * the latest configuration stopped), a leader must emerge and commit a write on every member.
   */
  private liveness(): void {
    this.log('faults stop');
    this.faulty = false;
    this.net.heal();
    this.net.faults = { drop: 0, duplicate: 0, maxDelay: Math.min(this.net.faults.maxDelay, 3) };
    // The founding nodes stay in the map for the whole run (3 or 5 of them): never empty.
    let latest = [...this.nodes.values()].sort((a, b) => b.applied - a.applied)[0]!;
    for (const n of this.nodes.values()) if (!n.removed && !n.up) this.restart(n);
    const members = (): NodeId[] => [...latest.conf.voters, ...latest.conf.learners];
    // A removed node that missed its removal keeps campaigning; an operator would stop it.
    const stopRemoved = (): void => {
      for (const n of this.nodes.values()) {
        if (n.up && this.removedIds.has(n.id) && !members().includes(n.id)) {
          this.log(`stop ${n.id}: removed from the configuration`);
          this.stopNode(n);
        }
      }
    };
    const limit = 60 * ELECTION_TICKS;
    let marker: string | null = null;
    let proposedAt = -Infinity;
    for (let t = 0; t < limit; t++) {
      this.tickRound(false);
      latest = [...this.nodes.values()].filter((n) => n.up).sort((a, b) => b.applied - a.applied)[0] ?? latest;
      stopRemoved();
      if (marker !== null && members().every((id) => this.nodes.get(id)?.kv.result(marker as string))) return;
      const l = this.leader();
      if (l?.raw && t - proposedAt > 3 * ELECTION_TICKS) {
        marker = `final.${++this.seq}`;
        try {
          l.raw.propose(encodeCommand({ id: marker, op: 'put', key: 'final', value: marker }));
          proposedAt = t;
          this.process(l);
        } catch (e) {
          if (!(e instanceof ProposalDroppedError)) throw e;
        }
      }
    }
    const st = [...this.nodes.values()].map(
      (n) => `${n.id}:${n.raw ? `${n.raw.status().role}/t${n.raw.status().term}/applied${n.applied}` : 'down'}`,
    );
    throw new SafetyViolation(
      `liveness: no write committed on all members ${members().join(',')} within ${limit} ticks after faults stopped (${st.join(' ')})`,
    );
  }
}

function termOrUndefined(f: () => number): number | undefined {
  try {
    return f();
  } catch (e) {
    if (e instanceof CompactedError) return undefined;
    throw e;
  }
}

function fmtOp(o: HistoryOp): string {
  const ret = o.ret === Infinity ? '?' : String(o.ret);
  switch (o.kind) {
    case 'put':
      return `[${o.call},${ret}] ${o.id} put ${o.key}=${o.value}`;
    case 'get':
      return `[${o.call},${ret}] ${o.id} get ${o.key} -> ${o.ret === Infinity ? '?' : String(o.read)}`;
    case 'cas':
      return `[${o.call},${ret}] ${o.id} cas ${o.key} ${String(o.expect)}->${o.value} ${o.ok === undefined ? '?' : o.ok ? 'ok' : 'fail'}`;
  }
}

function fmtMsg(m: Message): string {
  const parts = [`${m.type} ${m.from}->${m.to} t${m.term}`];
  if (m.index !== undefined) parts.push(`i${m.index}`);
  if (m.logTerm !== undefined) parts.push(`lt${m.logTerm}`);
  if (m.entries?.length) parts.push(`ents[${m.entries.map((e) => `${e.index}/${e.term}`).join(',')}]`);
  if (m.commit !== undefined) parts.push(`c${m.commit}`);
  if (m.reject) parts.push(`reject(hint ${m.rejectHint}/${m.hintTerm})`);
  if (m.snapshot) parts.push(`snap ${m.snapshot.meta.index}/${m.snapshot.meta.term}`);
  return parts.join(' ');
}

export function runSeed(seed: number, opts: SimOptions): SimResult {
  return new Simulation(seed, opts).run();
}
