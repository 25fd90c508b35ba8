import type { TableName, Tables } from './tables';

/**
 * One store transaction = one Raft log entry. Everything non-deterministic (IDs, timestamps) is
 * decided by the proposer, so every manager applies the same entry to the same state.
 */
export type Op =
  | {
      op: 'put';
      table: TableName;
      object: Tables[TableName];
      /** expected Version.Index, 0 = must not exist */ expect?: number;
    }
  | { op: 'delete'; table: TableName; id: string; expect?: number };

export interface Transaction {
  ops: Op[];
  /** When proposed (ISO time): becomes UpdatedAt of every object it writes. */
  at: string;
}

export function encodeTx(tx: Transaction): Uint8Array {
  return Buffer.from(JSON.stringify(tx));
}

export function decodeTx(data: Uint8Array): Transaction {
  return JSON.parse(Buffer.from(data).toString('utf8')) as Transaction;
}
