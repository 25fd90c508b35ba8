import { NameConflictError, ObjectNotFoundError, VersionConflictError } from './errors';
import type { Op, Transaction } from './ops';
import { TABLES, UNIQUE_NAMES, type TableName, type Tables } from './tables';

export interface ChangeEvent<T extends TableName = TableName> {
  table: T;
  kind: 'create' | 'update' | 'delete';
  object: Tables[T];
  old?: Tables[T];
}

type Row = Tables[TableName];

/**
 * The replicated state (pure, deterministic): tables of objects. `apply` checks a transaction's
 * version expectations and name uniqueness first and applies all of it or none of it.
 */
export class StoreState {
  private readonly tables = new Map<TableName, Map<string, Row>>(TABLES.map((t) => [t, new Map()]));

  get<T extends TableName>(table: T, id: string): Tables[T] | undefined {
    return this.tables.get(table)!.get(id) as Tables[T] | undefined;
  }

  list<T extends TableName>(table: T): Tables[T][] {
    return [...this.tables.get(table)!.values()] as Tables[T][];
  }

  findByName<T extends TableName>(table: T, name: string): Tables[T] | undefined {
    for (const o of this.tables.get(table)!.values())
      if ((o as { Spec?: { Name?: string } }).Spec?.Name === name) return o as Tables[T];
    return undefined;
  }

  /** Applies a transaction at Raft `index`; throws (changing nothing) if a check fails. */
  apply(index: number, tx: Transaction): ChangeEvent[] {
    for (const op of tx.ops) this.check(op, tx.ops);
    const events: ChangeEvent[] = [];
    for (const op of tx.ops) {
      const table = this.tables.get(op.table)!;
      if (op.op === 'put') {
        const old = table.get(op.object.ID);
        const object = {
          ...op.object,
          Version: { Index: index },
          UpdatedAt: tx.at,
          CreatedAt: old?.CreatedAt ?? op.object.CreatedAt ?? tx.at,
        } as Row;
        table.set(object.ID, object);
        events.push({ table: op.table, kind: old ? 'update' : 'create', object, old });
      } else {
        const old = table.get(op.id);
        if (old) {
          table.delete(op.id);
          events.push({ table: op.table, kind: 'delete', object: old, old });
        }
      }
    }
    return events;
  }

  private check(op: Op, all: Op[]): void {
    const table = this.tables.get(op.table)!;
    const id = op.op === 'put' ? op.object.ID : op.id;
    const current = table.get(id);
    if (op.expect !== undefined) {
      const actual = current?.Version.Index ?? 0;
      if (op.expect !== actual) {
        if (!current && op.expect > 0) throw new ObjectNotFoundError(op.table, id);
        throw new VersionConflictError(op.table, id, op.expect, actual);
      }
    }
    if (op.op === 'put' && UNIQUE_NAMES[op.table]) {
      const name = (op.object as { Spec?: { Name?: string } }).Spec?.Name;
      const other = name === undefined ? undefined : this.findByName(op.table, name);
      const deletedInTx = other && all.some((o) => o.op === 'delete' && o.table === op.table && o.id === other.ID);
      if (other && other.ID !== id && !deletedInTx) throw new NameConflictError(op.table, name!);
    }
  }

  snapshot(): Uint8Array {
    const data: Record<string, Row[]> = {};
    for (const t of TABLES) data[t] = [...this.tables.get(t)!.values()];
    return Buffer.from(JSON.stringify(data));
  }

  restore(bytes: Uint8Array): void {
    const data = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, Row[]>;
    for (const t of TABLES) this.tables.set(t, new Map((data[t] ?? []).map((o) => [o.ID, o])));
  }
}
