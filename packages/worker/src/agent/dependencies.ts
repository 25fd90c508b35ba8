// The secrets and configs the manager sent this node for its tasks: in memory only (never on a
// disk, never in a log), keyed by (kind, ID, DataVersion) like the dispatcher keys them.
import { assignedDependencySchema, type AssignedDependency, type DependencyKind } from '@flotilla/manager';

/** What a task's controller reads its secrets and configs from. */
export interface DependencyGetter {
  /** The data of one version; without a version (an unpinned reference), the newest one held. */
  get(kind: DependencyKind, id: string, version?: number): AssignedDependency | undefined;
}

const key = (kind: DependencyKind, id: string, version: number) => `${kind}/${id}/${version}`;

export class DependencyStore implements DependencyGetter {
  private readonly items = new Map<string, { kind: DependencyKind; dep: AssignedDependency }>();

  /**
   * Applies one change from the manager (JSON checked here, at the edge); returns the key it
   * touched. Throws on a malformed change without naming its content (it may hold a secret).
   */
  apply(kind: DependencyKind, action: 'UPDATE' | 'REMOVE', json: Buffer): string {
    let dep: AssignedDependency;
    try {
      dep = assignedDependencySchema.parse(JSON.parse(Buffer.from(json).toString('utf8')));
    } catch {
      throw new Error(`malformed ${kind} in an assignment from the manager`);
    }
    const k = key(kind, dep.ID, dep.DataVersion);
    if (action === 'REMOVE') this.items.delete(k);
    else this.items.set(k, { kind, dep });
    return k;
  }

  get(kind: DependencyKind, id: string, version?: number): AssignedDependency | undefined {
    if (version !== undefined) return this.items.get(key(kind, id, version))?.dep;
    let newest: AssignedDependency | undefined;
    for (const { kind: k, dep } of this.items.values())
      if (k === kind && dep.ID === id && (!newest || dep.DataVersion > newest.DataVersion)) newest = dep;
    return newest;
  }

  /** After a COMPLETE assignment set: drops everything it did not name. */
  retain(keys: ReadonlySet<string>): void {
    for (const k of [...this.items.keys()]) if (!keys.has(k)) this.items.delete(k);
  }

  clear(): void {
    this.items.clear();
  }

  /** (kind/ID/DataVersion) of everything held: what tests and diagnostics may see, never data. */
  keys(): string[] {
    return [...this.items.keys()].sort();
  }
}
