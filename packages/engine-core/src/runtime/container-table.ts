// The containers a manager knows, by ID and by name, with docker's lookup rules (ID, name with or
// without the leading slash, unique ID prefix).
import { join } from 'node:path';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../errors';
import { type Entry, newEntry } from './container-entry';
import type { ContainerRecord } from './container-types';

export class ContainerTable {
  private readonly byId = new Map<string, Entry>();
  private readonly byName = new Map<string, string>();

  constructor(private readonly containersDir: string) {}

  register(rec: ContainerRecord): Entry {
    const entry = newEntry(rec, join(this.containersDir, rec.id));
    this.byId.set(rec.id, entry);
    this.byName.set(rec.name, rec.id);
    return entry;
  }

  /** Forgets the container; its name is free again. */
  unregister(rec: ContainerRecord): void {
    this.byId.delete(rec.id);
    if (this.byName.get(rec.name) === rec.id) this.byName.delete(rec.name);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  byExactId(id: string): Entry | undefined {
    return this.byId.get(id);
  }

  get size(): number {
    return this.byId.size;
  }

  entries(): IterableIterator<Entry> {
    return this.byId.values();
  }

  find(ref: string): Entry {
    const e = this.tryFind(ref);
    if (!e) throw new NotFoundError(`No such container: ${ref}`);
    return e;
  }

  tryFind(ref: string): Entry | undefined {
    const byId = this.byId.get(ref);
    if (byId) return byId;
    const id = this.byName.get(ref.replace(/^\//, ''));
    if (id) return this.byId.get(id);
    if (/^[0-9a-f]+$/.test(ref)) {
      const matches = [...this.byId.keys()].filter((k) => k.startsWith(ref));
      if (matches.length > 1) throw new InvalidArgumentError(`Multiple IDs found with provided prefix: ${ref}`);
      const [only] = matches;
      if (only !== undefined) return this.byId.get(only);
    }
    return undefined;
  }

  nameTaken(name: string): boolean {
    return this.byName.has(name);
  }

  /** Throws docker's 409 when another container has (or is being created with) `name`. */
  checkNameFree(name: string): void {
    const other = this.byName.get(name);
    if (other) {
      throw new ConflictError(
        `Conflict. The container name "/${name}" is already in use by container "${other}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
  }

  /** Holds `name` for a container being created (before its record exists). */
  reserveName(name: string, id: string): void {
    this.byName.set(name, id);
  }

  /** Gives a reserved name back when the create failed. */
  releaseReservation(name: string, id: string): void {
    if (this.byName.get(name) === id && !this.byId.has(id)) this.byName.delete(name);
  }

  rename(e: Entry, name: string): void {
    this.byName.delete(e.rec.name);
    this.byName.set(name, e.rec.id);
    e.rec.name = name;
  }

  /** IDs of the containers that mount the named volume. */
  volumeUsers(name: string): string[] {
    const out: string[] = [];
    for (const e of this.byId.values())
      if (e.rec.mounts.some((m) => m.Type === 'volume' && m.Name === name)) out.push(e.rec.id);
    return out;
  }
}
