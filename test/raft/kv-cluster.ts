// Runs kv-server members as real Node processes on loopback (from the BUILT dist) for the
// real-process Raft test. Every process and directory it creates is removed by destroy().
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, promises as fsp } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const KV_SERVER = path.resolve(__dirname, '../../packages/raft/dist/example/kv-server.js');

export function assertBuilt(): void {
  if (!existsSync(KV_SERVER)) {
    throw new Error(
      `${KV_SERVER} is missing: the real-process Raft test runs the built JavaScript. Run \`npm run build\` first.`,
    );
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface MemberSpec {
  id: string;
  raft: string;
  http: string;
}

export class KvCluster {
  readonly members: MemberSpec[] = [];
  private readonly procs = new Map<string, ChildProcess>();
  private readonly logs = new Map<string, string>();

  private constructor(
    readonly root: string,
    private readonly extraArgs: string[],
  ) {}

  static async create(ids: string[], extraArgs: string[] = []): Promise<KvCluster> {
    assertBuilt();
    const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'flotilla-kv-'));
    const c = new KvCluster(root, extraArgs);
    for (const id of ids)
      c.members.push({ id, raft: `127.0.0.1:${await freePort()}`, http: `127.0.0.1:${await freePort()}` });
    return c;
  }

  member(id: string): MemberSpec {
    const m = this.members.find((x) => x.id === id);
    if (!m) throw new Error(`no member ${id}`);
    return m;
  }

  async start(id: string): Promise<void> {
    const m = this.member(id);
    const args = [
      KV_SERVER,
      '--id',
      id,
      '--data',
      path.join(this.root, id),
      '--raft',
      m.raft,
      '--http',
      m.http,
      '--bootstrap',
      ...this.extraArgs,
    ];
    for (const p of this.members) if (p.id !== id) args.push('--peer', `${p.id}=${p.raft}`);
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FLOTILLA_LOG_LEVEL: 'warn', NODE_ENV: 'production' },
    });
    this.procs.set(id, child);
    this.logs.set(id, '');
    const keep = (b: Buffer): void => {
      this.logs.set(id, (this.logs.get(id)! + b.toString()).slice(-20_000));
    };
    child.stderr!.on('data', keep);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`member ${id} did not start within 15 s:\n${this.logs.get(id)}`)),
        15_000,
      );
      child.stdout!.on('data', (b: Buffer) => {
        keep(b);
        if (this.logs.get(id)!.includes('"ready":true')) {
          clearTimeout(t);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(t);
        reject(new Error(`member ${id} exited with ${code} during start:\n${this.logs.get(id)}`));
      });
    });
  }

  /** kill -9: no chance to flush or say goodbye. */
  async kill(id: string): Promise<void> {
    const p = this.procs.get(id);
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
    this.procs.delete(id);
  }

  log(id: string): string {
    return this.logs.get(id) ?? '';
  }

  async request(
    id: string,
    method: string,
    urlPath: string,
    body?: string,
    timeoutMs = 3000,
  ): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(`http://${this.member(id).http}${urlPath}`, {
      method,
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }

  async status(id: string): Promise<Record<string, unknown> | null> {
    try {
      return (await this.request(id, 'GET', '/status', undefined, 1000)).json;
    } catch {
      return null;
    }
  }

  /** The member every live member agrees is leader, if any. */
  async leader(alive: string[]): Promise<string | null> {
    for (const id of alive) {
      const s = await this.status(id);
      if (s && s.role === 'leader') return id;
    }
    return null;
  }

  idOfRaft(addr: string | null | undefined): string | null {
    return this.members.find((m) => m.raft === addr)?.id ?? null;
  }

  async destroy(): Promise<void> {
    await Promise.all([...this.procs.keys()].map((id) => this.kill(id)));
    await fsp.rm(this.root, { recursive: true, force: true });
  }
}
