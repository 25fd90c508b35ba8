// The daemon's side of one accept-loop child process: spawn, request/acknowledge by sequence
// number, and a bounded wait so that a stuck child never blocks the worker agent.
import { type ChildProcess, fork } from 'node:child_process';
import type net from 'node:net';
import { extname, join } from 'node:path';
import type { Logger } from '@flotilla/engine-core';
import type { DataPath } from './accept-loop';
import type { FromLoop, PoolStatsWire, ToLoop } from './protocol';

/** Messages without an answer in this time are given up (the child is then restarted). */
const ANSWER_TIMEOUT_MS = 5000;

type Pending = { resolve: (v: FromLoop | undefined) => void; timer: NodeJS.Timeout };

// A message without its sequence number; TypeScript's Omit does not distribute over a union.
export type LoopRequest = ToLoop extends infer M ? (M extends ToLoop ? Omit<M, 'seq'> : never) : never;

export class LoopProcess {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  readonly ready: Promise<boolean>;
  readonly exited: Promise<void>;
  private alive = true;

  constructor(
    readonly index: number,
    execArgv: string[],
    dataPath: DataPath,
    private readonly log: Logger,
  ) {
    // Same extension as this file: .js from dist, .ts when a test runs the sources.
    const entry = join(__dirname, `loop-child${extname(__filename)}`);
    this.child = fork(entry, [dataPath], {
      execArgv,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      serialization: 'json',
    });
    this.ready = new Promise((resolve) => {
      const onMessage = (m: FromLoop) => {
        if (m.op === 'ready') {
          this.child.off('message', onMessage);
          resolve(true);
        }
      };
      this.child.on('message', onMessage);
      this.child.once('exit', () => resolve(false));
    });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    this.child.on('message', (m: FromLoop) => this.onMessage(m));
    this.child.on('error', (e) => this.log.warn({ err: e.message, loop: index }, 'accept loop process error'));
    this.child.once('exit', (code, signal) => {
      this.alive = false;
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.resolve(undefined);
      }
      this.pending.clear();
      this.log.debug({ loop: index, code, signal }, 'accept loop exited');
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private onMessage(m: FromLoop): void {
    if (m.op === 'error') {
      this.log.warn({ loop: this.index, err: m.message }, 'accept loop caught an error');
      return;
    }
    if (m.op !== 'ack' && m.op !== 'stats') return;
    const p = this.pending.get(m.seq);
    if (!p) return;
    this.pending.delete(m.seq);
    clearTimeout(p.timer);
    p.resolve(m);
  }

  /** Sends one message (with a listening socket as handle if given); resolves with the answer, or undefined. */
  async request(msg: LoopRequest, handle?: net.Server): Promise<FromLoop | undefined> {
    if (!(await this.ready) || !this.alive) return undefined;
    const seq = ++this.seq;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        this.log.warn({ loop: this.index, op: msg.op }, 'accept loop did not answer in time');
        resolve(undefined);
      }, ANSWER_TIMEOUT_MS);
      this.pending.set(seq, { resolve, timer });
      const full = { ...msg, seq } as ToLoop;
      const cb = (err: Error | null) => {
        if (!err) return;
        clearTimeout(timer);
        this.pending.delete(seq);
        resolve(undefined);
      };
      try {
        if (handle) this.child.send(full, handle, cb);
        else this.child.send(full, cb);
      } catch {
        cb(new Error('channel closed'));
      }
    });
  }

  async stats(): Promise<PoolStatsWire[] | undefined> {
    const m = await this.request({ op: 'stats' });
    return m?.op === 'stats' ? m.pools : undefined;
  }

  /** Closes the channel (the child exits on disconnect); SIGKILL if it lingers. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    try {
      this.child.disconnect();
    } catch {
      // already disconnected
    }
    const t = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await this.exited;
    clearTimeout(t);
  }
}
