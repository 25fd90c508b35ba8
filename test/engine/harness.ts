// Shared e2e harness: a real daemon on a temp data root and socket (in-process), the CLI's main()
// called in-process with captured output, raw API requests, and a cleanup that removes every
// kernel object and file the daemon made, even when a test failed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { type DaemonHandle, type DaemonOptions, purgeDaemonState, startDaemon } from '@flotilla/engine-core';
import { cliMain } from '@flotilla/stack-cli';
import { makeBusyboxRootfsTar } from '../../packages/engine-core/src/testing/busybox-rootfs';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class TestEngine {
  readonly dir: string;
  readonly dataRoot: string;
  readonly socket: string;
  readonly host: string;
  daemon: DaemonHandle | null = null;
  private busyboxTar: string | null = null;

  constructor(name: string) {
    this.dir = mkdtempSync(join(tmpdir(), `flotilla-e2e-${name}-`));
    this.dataRoot = join(this.dir, 'root');
    this.socket = join(this.dir, 'flotilla.sock');
    this.host = `unix://${this.socket}`;
  }

  /** `extra`: more daemon options (say, the embedded DNS's upstream nameservers). */
  async start(extra: Omit<DaemonOptions, 'dataRoot' | 'host'> = {}): Promise<DaemonHandle> {
    this.daemon = await startDaemon({ ...extra, dataRoot: this.dataRoot, host: this.host });
    return this.daemon;
  }

  async stop(): Promise<void> {
    const d = this.daemon;
    this.daemon = null;
    if (d) await d.close();
  }

  /** Run `flotilla <args>` in-process; stdin from `input` (default empty). */
  async cli(
    args: string[],
    opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv; cwd?: string } = {},
  ): Promise<CliResult> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    stdout.on('data', (c: Buffer) => out.push(c));
    stderr.on('data', (c: Buffer) => err.push(c));
    const stdin = Readable.from(opts.input !== undefined ? [Buffer.from(opts.input)] : []);
    const env = { HOME: this.dir, ...opts.env, FLOTILLA_HOST: this.host };
    const code = await cliMain(args, { stdout, stderr, stdin, env, cwd: opts.cwd ?? this.dir });
    return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
  }

  /** Like cli() but fails the test with the output when the exit code is not 0. */
  async ok(args: string[], opts: Parameters<TestEngine['cli']>[1] = {}): Promise<string> {
    const r = await this.cli(args, opts);
    if (r.code !== 0)
      throw new Error(`flotilla ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r.stdout;
  }

  /** A raw HTTP request to the API socket. */
  api(
    method: string,
    path: string,
    body?: string | Buffer,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: this.socket,
          method,
          path,
          headers:
            body !== undefined
              ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), ...headers }
              : headers,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** The busybox fixture imported as busybox:latest (once per engine). */
  async importBusybox(tag = 'busybox:latest'): Promise<string> {
    if (!this.busyboxTar) this.busyboxTar = makeBusyboxRootfsTar(this.dir).tar;
    return (await this.ok(['import', this.busyboxTar, tag])).trim();
  }

  /** Mount points under the data root (a clean daemon leaves none once its containers stopped). */
  mountsUnderRoot(): string[] {
    return readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4] ?? '')
      .filter((m) => m.startsWith(this.dataRoot));
  }

  /** Stop the daemon if it runs, then remove its kernel objects (bridges, NAT, cgroups, runc state) and files. */
  async cleanup(): Promise<void> {
    try {
      if (this.daemon) {
        // Kill what still runs so shutdown does not wait out grace periods.
        for (const c of this.daemon.engine ? await this.daemon.engine.containers.list({ all: false }) : []) {
          await this.daemon.engine.containers.kill(c.Id, 'SIGKILL').catch(() => undefined);
        }
        await this.stop();
      }
    } finally {
      for (const m of this.mountsUnderRoot().reverse()) {
        try {
          execFileSync('umount', ['-l', m]);
        } catch {
          /* already gone */
        }
      }
      await purgeDaemonState(this.dataRoot, { removeData: true });
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/** Poll until `fn` returns a truthy value (or throw after `ms`). */
export async function eventually<T>(
  fn: () => Promise<T | undefined | null | false>,
  ms = 5000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}
