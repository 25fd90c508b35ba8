// The Raft members' addresses as last seen, kept beside the log: a founding member's address is
// in no membership entry, so a restarted follower would otherwise not know where to answer it.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@flotilla/engine-core';

export class RaftPeersFile {
  private saved = '';
  private readonly path: string;

  constructor(
    dir: string,
    private readonly log: Logger,
  ) {
    this.path = join(dir, 'raft-peers.json');
  }

  /** The other members' addresses by node ID (none when the file is missing or unreadable). */
  async load(selfId: string): Promise<Record<string, string>> {
    try {
      const all = JSON.parse(await readFile(this.path, 'utf8')) as Record<string, string>;
      delete all[selfId];
      return all;
    } catch {
      return {};
    }
  }

  /** Writes the members' addresses when they changed (atomically: a temporary file renamed). */
  save(members: { id: string; address: string | null }[]): void {
    const json = JSON.stringify(Object.fromEntries(members.filter((m) => m.address).map((m) => [m.id, m.address])));
    if (json === this.saved) return;
    this.saved = json;
    void writeFile(`${this.path}.tmp`, json)
      .then(() => rename(`${this.path}.tmp`, this.path))
      .catch((e: Error) => this.log.warn({ err: e }, "cannot save the Raft members' addresses"));
  }
}
