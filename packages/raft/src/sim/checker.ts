// Raft's safety properties (Figure 3 of the paper), checked as the simulation runs: every entry
// any node stores passes through a Ready, every applied entry through the apply loop, and every
// leader announces itself in a Ready's softState, so checking there checks every step.
import { EntryType, type Entry, type NodeId } from '../types';
import { SafetyViolation } from './errors';

function entryKey(e: Entry): string {
  return `${e.type}:${Buffer.from(e.data).toString('base64')}`;
}

export class SafetyChecker {
  private readonly leaders = new Map<number, NodeId>();
  /** (index, term) -> content and the term of the entry before it. */
  private readonly stored = new Map<string, { key: string; prevTerm: number | undefined }>();
  private readonly applied = new Map<number, { term: number; key: string; by: NodeId }>();
  private maxApplied = 0;
  elections = 0;

  /** Election Safety: at most one leader per term. Leader Completeness: it holds every committed entry. */
  onLeader(id: NodeId, term: number, termAt: (i: number) => number | undefined): void {
    const prev = this.leaders.get(term);
    if (prev !== undefined && prev !== id)
      throw new SafetyViolation(`election safety: ${prev} and ${id} are both leaders of term ${term}`);
    if (prev === id) return;
    this.leaders.set(term, id);
    this.elections++;
    for (let i = 1; i <= this.maxApplied; i++) {
      const a = this.applied.get(i);
      if (!a) continue;
      const t = termAt(i);
      if (t === undefined) continue; // compacted into a snapshot, hence held
      if (t !== a.term) {
        throw new SafetyViolation(
          `leader completeness: ${id}, leader of term ${term}, has term ${t} at index ${i} but ${a.by} applied an entry of term ${a.term} there`,
        );
      }
    }
  }

  /** Log Matching, by induction: same (index, term) implies same entry and same previous term. */
  onStore(id: NodeId, e: Entry, prevTerm: number | undefined): void {
    const k = `${e.index}:${e.term}`;
    const key = entryKey(e);
    const seen = this.stored.get(k);
    if (!seen) {
      this.stored.set(k, { key, prevTerm });
      return;
    }
    if (seen.key !== key)
      throw new SafetyViolation(`log matching: ${id} stores a different entry at index ${e.index} term ${e.term}`);
    if (prevTerm !== undefined && seen.prevTerm !== undefined && prevTerm !== seen.prevTerm) {
      throw new SafetyViolation(
        `log matching: ${id} has term ${prevTerm} before index ${e.index} term ${e.term}, another node has ${seen.prevTerm}`,
      );
    }
    if (seen.prevTerm === undefined) seen.prevTerm = prevTerm;
  }

  /** State Machine Safety: no two nodes apply different entries at one index. */
  onApply(id: NodeId, e: Entry): void {
    const key = entryKey(e);
    const a = this.applied.get(e.index);
    if (!a) {
      this.applied.set(e.index, { term: e.term, key, by: id });
      if (e.index > this.maxApplied) this.maxApplied = e.index;
      return;
    }
    if (a.term !== e.term || a.key !== key) {
      throw new SafetyViolation(
        `state machine safety: ${id} applied term ${e.term} at index ${e.index}, ${a.by} applied term ${a.term}${e.type === EntryType.ConfChange ? ' (conf change)' : ''}`,
      );
    }
  }

  /** A snapshot installed at (index, term) must agree with what was applied there. */
  onSnapshot(id: NodeId, index: number, term: number): void {
    const a = this.applied.get(index);
    if (a && a.term !== term)
      throw new SafetyViolation(
        `state machine safety: ${id} installed a snapshot at index ${index} term ${term}, ${a.by} applied term ${a.term}`,
      );
  }

  /**
   * Log Matching checked directly on the final logs: wherever two logs hold an entry with the same
   * index and term, they agree on it and on every earlier entry both still hold.
   */
  compareLogs(logs: Map<NodeId, Entry[]>): void {
    const all = [...logs];
    for (const [x, [idA, logA]] of all.entries()) {
      const a = new Map(logA.map((e) => [e.index, e]));
      for (const [idB, logB] of all.slice(x + 1)) {
        let matchedFrom = -1;
        for (const eb of [...logB].reverse()) {
          const ea = a.get(eb.index);
          if (!ea) continue;
          if (matchedFrom < 0 && ea.term === eb.term) matchedFrom = eb.index;
          if (matchedFrom >= 0 && (ea.term !== eb.term || entryKey(ea) !== entryKey(eb))) {
            throw new SafetyViolation(
              `log matching: ${idA} and ${idB} agree at index ${matchedFrom} but differ at ${eb.index}`,
            );
          }
        }
      }
    }
  }

  appliedCount(): number {
    return this.applied.size;
  }
}
