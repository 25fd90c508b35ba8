// The build cache: step key (parent image + instruction + inputs) -> resulting config digest.
// Persisted as one JSON file beside the store; entries are validated on use, never trusted.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../images/fs-util';

export class BuildCache {
  private entries: Record<string, string> = {};
  private loaded = false;
  private dirty = false;
  constructor(private readonly root: string) {}

  private get file(): string {
    return join(this.root, 'build-cache.json');
  }

  async load(): Promise<void> {
    if (this.loaded) return;
    try {
      this.entries = JSON.parse(await readFile(this.file, 'utf8')) as Record<string, string>;
    } catch {
      this.entries = {};
    }
    this.loaded = true;
  }

  get(key: string): string | undefined {
    return this.entries[key];
  }

  set(key: string, configDigest: string): void {
    this.entries[key] = configDigest;
    this.dirty = true;
  }

  async flush(): Promise<void> {
    if (!this.dirty) return;
    await writeFileAtomic(this.file, JSON.stringify(this.entries));
    this.dirty = false;
  }
}
