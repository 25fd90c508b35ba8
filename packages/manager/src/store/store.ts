import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { NameConflictError, ObjectNotFoundError, VersionConflictError } from './errors';
import { decodeTx, encodeTx, type Op, type Transaction } from './ops';
import { StoreState, type ChangeEvent } from './state';
import type { TableName, Tables } from './tables';

/** Puts an entry through consensus; resolves with what `apply` returned for it on this node. */
export interface Proposer {
  propose(data: Uint8Array, opts?: { signal?: AbortSignal }): Promise<unknown>;
}

/** The result a transaction's apply hands back to its proposer (errors are data: deterministic). */
export type ApplyResult =
  { ok: true } | { ok: false; error: { name: string; message: string; fields: Record<string, unknown> } };

/** Docker-style object IDs: 25 lowercase alphanumerics. */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
let pool = Buffer.alloc(0);
let poolAt = 0;
export function newId(): string {
  // One getrandom call per 160 IDs: the orchestrator creates thousands in a pass.
  if (poolAt + 25 > pool.length) {
    pool = randomBytes(25 * 160);
    poolAt = 0;
  }
  let s = '';
  for (let i = 0; i < 25; i++) s += ALPHABET.charAt(pool.readUInt8(poolAt + i) % 36);
  poolAt += 25;
  return s;
}

/** Reads and staged writes of one transaction, checked again when the entry is applied. */
export class TxBuilder {
  readonly ops: Op[] = [];
  constructor(private readonly state: StoreState) {}

  get<T extends TableName>(table: T, id: string): Tables[T] | undefined {
    return this.state.get(table, id);
  }

  list<T extends TableName>(table: T): Tables[T][] {
    return this.state.list(table);
  }

  findByName<T extends TableName>(table: T, name: string): Tables[T] | undefined {
    return this.state.findByName(table, name);
  }

  create<T extends TableName>(table: T, object: Tables[T]): void {
    this.ops.push({ op: 'put', table, object, expect: 0 });
  }

  /** Writes `object`; fails at apply time if it changed since `expectVersion` (default: as read). */
  update<T extends TableName>(table: T, object: Tables[T], expectVersion = object.Version.Index): void {
    this.ops.push({ op: 'put', table, object, expect: expectVersion });
  }

  delete(table: TableName, id: string): void {
    this.ops.push({ op: 'delete', table, id });
  }
}

/**
 * The manager's view of cluster state: reads from the local replica, writes through Raft.
 * One `update()` = one log entry; watchers see every change in log order.
 */
export class Store extends EventEmitter<{ change: [ChangeEvent[]] }> {
  readonly state = new StoreState();
  private appliedIndex = 0;

  constructor(private readonly proposer: Proposer) {
    super();
    this.setMaxListeners(100);
  }

  get applied(): number {
    return this.appliedIndex;
  }

  view<R>(fn: (s: StoreState) => R): R {
    return fn(this.state);
  }

  async update<R>(fn: (tx: TxBuilder) => R, opts?: { signal?: AbortSignal }): Promise<R> {
    const tx = new TxBuilder(this.state);
    const value = fn(tx);
    if (tx.ops.length === 0) return value;
    const entry: Transaction = { ops: tx.ops, at: new Date().toISOString() };
    const result = (await this.proposer.propose(encodeTx(entry), opts)) as ApplyResult | undefined;
    if (result && !result.ok) throw reviveError(result.error);
    return value;
  }

  /** The Raft state machine side: apply a committed entry at `index`. Never throws. */
  applyEntry(index: number, data: Uint8Array): ApplyResult {
    this.appliedIndex = index;
    if (data.length === 0) return { ok: true };
    let events: ChangeEvent[];
    try {
      events = this.state.apply(index, decodeTx(data));
    } catch (e) {
      const err = e as Error & Record<string, unknown>;
      const fields = Object.fromEntries(
        Object.entries(err).filter(([k]) => k !== 'stack' && k !== 'message' && k !== 'name'),
      );
      return { ok: false, error: { name: err.name, message: err.message, fields } };
    }
    if (events.length) this.emit('change', events);
    return { ok: true };
  }

  snapshot(): Uint8Array {
    return this.state.snapshot();
  }

  restore(bytes: Uint8Array, index: number): void {
    this.state.restore(bytes);
    this.appliedIndex = index;
    this.emit('change', []);
  }
}

function reviveError(e: { name: string; message: string; fields: Record<string, unknown> }): Error {
  // The fields are the error's own, as apply recorded them (see applyEntry).
  const f = e.fields as { table: string; id: string; expected: number; actual: number; objectName: string };
  switch (e.name) {
    case 'VersionConflictError':
      return new VersionConflictError(f.table, f.id, f.expected, f.actual);
    case 'ObjectNotFoundError':
      return new ObjectNotFoundError(f.table, f.id);
    case 'NameConflictError':
      return new NameConflictError(f.table, f.objectName);
    default:
      return Object.assign(new Error(e.message), { name: e.name });
  }
}

/** A proposer for a manager with no peers and no log (tests of logic above the store). */
export class LocalProposer implements Proposer {
  private index = 0;
  store?: Store;
  async propose(data: Uint8Array): Promise<unknown> {
    return this.store!.applyEntry(++this.index, data);
  }
}
