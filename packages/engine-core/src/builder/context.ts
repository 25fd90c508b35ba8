// The build context on disk: which files COPY/ADD may see (.dockerignore applied), source
// resolution with globs, and the content hash that keys the layer cache.
import { createHash } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { digestHex } from '../images/digest';
import { digestOf } from '../util/digest-stream';
import { SourceNotFoundError } from './errors';
import { compileGlob, IgnoreMatcher, parseDockerignore } from './dockerignore';

export interface ContextSource {
  /** Context-relative path ("" for the context root). */
  rel: string;
  abs: string;
  st: Stats;
}

const GLOB_CHARS = /[*?[\]]/;

export class BuildContext {
  /** Content hashes by path+inode+size+mtime: a rebuild re-reads only changed files. */
  private static readonly hashCache = new Map<string, string>();

  private constructor(
    readonly dir: string,
    readonly ignore: IgnoreMatcher,
  ) {}

  static async open(dir: string): Promise<BuildContext> {
    let lines: string[] = [];
    try {
      lines = parseDockerignore(await readFile(join(dir, '.dockerignore'), 'utf8'));
    } catch {
      lines = [];
    }
    return new BuildContext(dir, new IgnoreMatcher(lines));
  }

  /** A directory seen without .dockerignore (another stage's root filesystem for COPY --from). */
  static forDir(dir: string): BuildContext {
    return new BuildContext(dir, new IgnoreMatcher([]));
  }

  /** Resolve COPY/ADD sources (globs allowed) to existing, non-ignored context paths. */
  async resolve(srcs: string[]): Promise<ContextSource[]> {
    const out: ContextSource[] = [];
    for (const src of srcs) {
      const clean = posix.normalize(`/${src}`).slice(1).replace(/\/$/, '');
      if (GLOB_CHARS.test(clean)) {
        const re = compileGlob(clean);
        const hits = (await this.walk('')).filter((e) => re.test(e.rel));
        if (hits.length === 0) throw new SourceNotFoundError(`no source files were specified or found matching ${src}`);
        out.push(...hits);
        continue;
      }
      if (clean && this.ignore.ignores(clean))
        throw new SourceNotFoundError(
          `file not found in build context or excluded by .dockerignore: stat ${src}: file does not exist`,
        );
      const abs = join(this.dir, clean);
      let st: Stats;
      try {
        st = await lstat(abs);
      } catch {
        throw new SourceNotFoundError(
          `file not found in build context or excluded by .dockerignore: stat ${src}: file does not exist`,
        );
      }
      out.push({ rel: clean, abs, st });
    }
    return out;
  }

  /** All non-ignored entries below `rel` (not including `rel` itself), parents before children. */
  async walk(rel: string): Promise<ContextSource[]> {
    const out: ContextSource[] = [];
    const visit = async (r: string): Promise<void> => {
      const names = (await readdir(join(this.dir, r))).sort();
      for (const n of names) {
        const cr = r ? `${r}/${n}` : n;
        const abs = join(this.dir, cr);
        const st = await lstat(abs);
        const ignored = this.ignore.ignores(cr);
        if (!ignored) out.push({ rel: cr, abs, st });
        // an ignored directory may still hold re-included files (`!dir/keep`)
        if (st.isDirectory() && (!ignored || this.ignore.hasExceptions())) await visit(cr);
      }
    };
    await visit(rel);
    return out;
  }

  private async fileHash(abs: string, st: Stats): Promise<string> {
    const key = `${abs}:${st.ino}:${st.size}:${st.mtimeMs}`;
    const hit = BuildContext.hashCache.get(key);
    if (hit) return hit;
    const d = digestHex((await digestOf(createReadStream(abs))).digest);
    BuildContext.hashCache.set(key, d);
    return d;
  }

  /** Hash of names, modes and contents of the sources (directories recursively): the cache key part. */
  async hash(sources: ContextSource[]): Promise<string> {
    const h = createHash('sha256');
    const add = async (e: ContextSource, name: string): Promise<void> => {
      h.update(`${name}\0${e.st.mode}\0`);
      if (e.st.isFile()) h.update(await this.fileHash(e.abs, e.st));
      else if (e.st.isSymbolicLink()) h.update(await readlink(e.abs));
      h.update('\n');
    };
    for (const s of sources) {
      await add(s, s.rel);
      if (s.st.isDirectory()) for (const e of await this.walk(s.rel)) await add(e, e.rel);
    }
    return h.digest('hex');
  }
}
