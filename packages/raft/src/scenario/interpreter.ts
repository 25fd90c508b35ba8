// A small language for scripted Raft scenarios (in the spirit of etcd's interaction tests):
// each command drives a synchronous Cluster and returns a trace of what happened (messages
// delivered, entries applied, read states, roles), which the test compares with the expected
// output kept in testdata/.
import { decodeConfChange } from '../core/entries';
import { RaftError } from '../core/errors';
import { MemoryStorage } from '../core/memory-storage';
import { Cluster, type ClusterOptions } from '../sim/cluster';
import { ConfChangeType, EntryType, type Entry, type Message, type NodeId } from '../types';

const dec = new TextDecoder();

export function fmtEntry(e: Entry): string {
  if (e.type === EntryType.ConfChange) {
    const cc = decodeConfChange(e);
    return `${e.index}/${e.term} conf:${ConfChangeType[cc.type]}(${cc.node})`;
  }
  return e.data.length === 0 ? `${e.index}/${e.term} no-op` : `${e.index}/${e.term} "${dec.decode(e.data)}"`;
}

export function fmtMessage(m: Message): string {
  const p = [`${m.from}->${m.to} ${m.type} t${m.term}`];
  switch (m.type) {
    case 'Append':
      p.push(`prev=${m.index}/${m.logTerm}`, `commit=${m.commit}`, `[${(m.entries ?? []).map(fmtEntry).join(', ')}]`);
      break;
    case 'AppendResp':
      p.push(m.reject ? `reject index=${m.index} hint=${m.rejectHint}/${m.hintTerm}` : `index=${m.index}`);
      break;
    case 'Vote':
    case 'PreVote':
      p.push(`last=${m.index}/${m.logTerm}`);
      if (m.transfer) p.push('transfer');
      break;
    case 'VoteResp':
    case 'PreVoteResp':
      p.push(m.reject ? 'rejected' : 'granted');
      break;
    case 'Heartbeat':
      p.push(`commit=${m.commit}`);
      if (m.context) p.push(`ctx=${m.context}`);
      break;
    case 'HeartbeatResp':
      if (m.context) p.push(`ctx=${m.context}`);
      break;
    case 'Snapshot':
      p.push(
        `snap=${m.snapshot?.meta.index}/${m.snapshot?.meta.term} voters=${m.snapshot?.meta.conf.voters.join(',')}`,
      );
      break;
    case 'Propose':
      p.push(
        `[${(m.entries ?? []).map((e) => (e.type === EntryType.ConfChange ? 'conf' : `"${dec.decode(e.data)}"`)).join(', ')}]`,
      );
      break;
    case 'ReadIndex':
    case 'ReadIndexResp':
      p.push(`ctx=${m.context}`);
      if (m.type === 'ReadIndexResp') p.push(`index=${m.index}`);
      break;
    default:
      break;
  }
  return p.join(' ');
}

export class ScenarioInterpreter {
  private c: Cluster | null = null;
  private seen = new Map<NodeId, { applied: number; reads: number; conf: string }>();
  private queuedBefore = 0;

  private cluster(): Cluster {
    if (!this.c) throw new Error('no cluster yet: start with `new <ids...>`');
    return this.c;
  }

  /** Runs one command line; returns its trace lines. */
  run(line: string): string[] {
    const [cmd, ...args] = line.trim().split(/\s+/);
    const out: string[] = [];
    this.queuedBefore = this.c ? this.c.queue.length : 0;
    try {
      this.exec(cmd ?? '', args, out);
    } catch (e) {
      if (e instanceof RaftError) out.push(`error: ${e.name}: ${e.message}`);
      else throw e;
    }
    if (this.c) this.collect(out);
    return out;
  }

  private exec(cmd: string, args: string[], out: string[]): void {
    const arg = (i: number): string => {
      const v = args[i];
      if (v === undefined) throw new Error(`scenario command ${cmd} needs argument ${i + 1}`);
      return v;
    };
    switch (cmd) {
      case 'new': {
        const ids = args.filter((a) => !a.includes('=') && a !== 'prevote' && a !== 'checkquorum');
        const opts: ClusterOptions = { preVote: args.includes('prevote'), checkQuorum: args.includes('checkquorum') };
        for (const a of args) {
          const [k, v] = a.split('=');
          if (k === 'maxsize') opts.maxSizePerMsg = Number(v);
          if (k === 'inflight') opts.maxInflightMsgs = Number(v);
        }
        this.c = new Cluster(ids, opts);
        for (const id of ids) this.seen.set(id, { applied: 0, reads: 0, conf: JSON.stringify(this.c.node(id).conf) });
        return;
      }
      case 'campaign':
        this.cluster().campaign(arg(0));
        return this.printQueued(out);
      case 'tick':
        this.cluster().tick(arg(0), Number(args[1] ?? 1));
        return this.printQueued(out);
      case 'propose':
        this.cluster().propose(arg(0), args.slice(1).join(' '));
        return this.printQueued(out);
      case 'deliver':
        return this.deliverRound(out, args[0]);
      case 'stabilize': {
        const c = this.cluster();
        c.processAll();
        for (let i = 0; i < 200 && c.queue.length > 0; i++) this.deliverRound(out);
        return;
      }
      case 'drop': {
        const c = this.cluster();
        const before = c.queue.length;
        c.queue = args[0] ? c.queue.filter((m) => `${m.from}->${m.to}` !== args[0]) : [];
        out.push(`dropped ${before - c.queue.length}`);
        return;
      }
      case 'isolate':
        this.cluster().isolate(arg(0));
        return;
      case 'heal':
        this.cluster().heal();
        return;
      case 'crash': {
        // Volatile state and unsent messages vanish; durable storage stays for the restart.
        const c = this.cluster();
        const id = arg(0);
        c.queue = c.queue.filter((m) => m.from !== id && m.to !== id);
        c.isolate(id);
        return;
      }
      case 'restart': {
        const c = this.cluster();
        const id = arg(0);
        for (const other of c.nodes.keys()) {
          c.cut.delete(`${id}->${other}`);
          c.cut.delete(`${other}->${id}`);
        }
        c.restart(id);
        this.seen.set(id, { applied: 0, reads: 0, conf: JSON.stringify(c.node(id).conf) });
        return;
      }
      case 'add-node': {
        const id = arg(0);
        this.cluster().addNode(id, new MemoryStorage());
        this.seen.set(id, { applied: 0, reads: 0, conf: JSON.stringify({ voters: [], learners: [] }) });
        return;
      }
      case 'add-learner':
      case 'promote':
      case 'remove': {
        const type =
          cmd === 'add-learner'
            ? ConfChangeType.AddLearner
            : cmd === 'promote'
              ? ConfChangeType.AddVoter
              : ConfChangeType.Remove;
        const c = this.cluster();
        c.node(arg(0)).raw.proposeConfChange({ type, node: arg(1) });
        c.process(arg(0));
        return this.printQueued(out);
      }
      case 'transfer': {
        const c = this.cluster();
        c.node(arg(0)).raw.transferLeadership(arg(1));
        c.process(arg(0));
        return this.printQueued(out);
      }
      case 'read': {
        const c = this.cluster();
        c.node(arg(0)).raw.readIndex(arg(1));
        c.process(arg(0));
        return this.printQueued(out);
      }
      case 'compact': {
        const n = this.cluster().node(arg(0));
        const applied = n.raw.status().applied;
        n.storage.createSnapshot(applied, n.conf, new TextEncoder().encode(`state@${applied}`));
        n.storage.compact(applied);
        out.push(`${arg(0)} snapshot at ${applied}, log starts at ${n.storage.firstIndex()}`);
        return;
      }
      case 'status': {
        const c = this.cluster();
        for (const id of args.length > 0 ? args : [...c.nodes.keys()]) {
          const s = c.node(id).raw.status();
          out.push(
            `${id}: ${s.role} term=${s.term} vote=${s.vote ?? '-'} leader=${s.leader ?? '-'} commit=${s.commit} applied=${s.applied} last=${s.lastIndex}`,
          );
        }
        return;
      }
      case 'progress': {
        const s = this.cluster().node(arg(0)).raw.status();
        for (const [id, p] of Object.entries(s.progress ?? {})) {
          out.push(
            `${id}: ${p.state} match=${p.match} next=${p.next}${p.learner ? ' learner' : ''} inflight=${p.inflight}`,
          );
        }
        return;
      }
      case 'log': {
        const n = this.cluster().node(arg(0));
        const s = n.storage;
        const ents = s.lastIndex() >= s.firstIndex() ? s.entries(s.firstIndex(), s.lastIndex() + 1) : [];
        out.push(`${arg(0)} log from ${s.firstIndex()}: ${ents.map(fmtEntry).join(', ') || '(empty)'}`);
        return;
      }
      default:
        throw new Error(`unknown scenario command ${cmd}`);
    }
  }

  /** Prints the messages this command queued. */
  private printQueued(out: string[]): void {
    for (const m of this.cluster().queue.slice(this.queuedBefore)) out.push(`send ${fmtMessage(m)}`);
  }

  /** Delivers what is queued now (optionally only one link), printing each delivery. */
  private deliverRound(out: string[], link?: string): void {
    const c = this.cluster();
    const take = link ? c.queue.filter((m) => `${m.from}->${m.to}` === link) : c.queue;
    c.queue = link ? c.queue.filter((m) => `${m.from}->${m.to}` !== link) : [];
    for (const m of take) {
      const cut = c.cut.has(`${m.from}->${m.to}`) || !c.nodes.has(m.to);
      out.push(`${cut ? 'lost' : 'deliver'} ${fmtMessage(m)}`);
      if (cut) continue;
      const before = c.queue.length;
      c.node(m.to).raw.step(m);
      c.process(m.to);
      this.collect(out);
      for (const r of c.queue.slice(before)) out.push(`  send ${fmtMessage(r)}`);
    }
  }

  /** Reports what nodes applied, read and reconfigured since the last look. */
  private collect(out: string[]): void {
    const c = this.cluster();
    c.processAll();
    for (const [id, n] of c.nodes) {
      const seen = this.seen.get(id) ?? { applied: 0, reads: 0, conf: '' };
      const fresh = n.applied.slice(seen.applied);
      const reads = n.readStates.slice(seen.reads);
      if (fresh.length > 0) out.push(`  ${id} applied ${fresh.map(fmtEntry).join(', ')}`);
      for (const r of reads) out.push(`  ${id} read ready: ctx=${r.context} index=${r.index}`);
      const conf = JSON.stringify(n.conf);
      if (conf !== seen.conf)
        out.push(`  ${id} conf voters=${n.conf.voters.join(',')} learners=${n.conf.learners.join(',') || '-'}`);
      this.seen.set(id, { applied: n.applied.length, reads: n.readStates.length, conf });
    }
  }
}
