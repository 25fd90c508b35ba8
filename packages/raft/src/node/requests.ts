// The callers waiting on a RaftNode: proposals, membership changes and ReadIndex reads, each with
// its deadline and abort signal. The driver says what happened (applied, read index known, leader
// changed, stopped) and this settles them.
import { randomBytes } from 'node:crypto';
import { LeadershipLostError, ProposalTimeoutError, RaftAbortedError } from './errors';
import { type RequestOptions } from './options';
import { type Waiter, WaiterSet } from './waiters';

export class PendingRequests<R> {
  readonly proposals = new WaiterSet<R>();
  readonly confChanges = new WaiterSet<void>();
  /** ReadIndex requests by context; `index` is set once the leader answered. */
  private readonly reads = new Map<string, Waiter<number>>();
  private readonly idPrefix = randomBytes(8);
  private seq = 0n;

  /**
   * @param timeoutMs deadline of a request that gives none
   * @param kick wakes the driver's loop after a request reached the core
   * @param mapError what the caller gets when the core refuses a request at once
   */
  constructor(
    private readonly timeoutMs: number,
    private readonly kick: () => void,
    private readonly mapError: (e: unknown) => unknown,
  ) {}

  /** A request id unique across restarts (random prefix) and within this run (sequence). */
  nextId(): string {
    const b = Buffer.allocUnsafe(16);
    this.idPrefix.copy(b, 0);
    b.writeBigUInt64BE(this.seq++, 8);
    return b.toString('hex');
  }

  /** Registers a waiter under `id`, runs `submit` (which may throw), and settles on apply/timeout/abort. */
  wait<T>(set: WaiterSet<T>, id: string, opts: RequestOptions, submit: () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const w = this.waiter(opts, resolve, reject, () => set.take(id) !== undefined);
      set.add(id, w);
      try {
        submit();
      } catch (e) {
        set.take(id);
        w.reject(this.mapError(e));
        return;
      }
      this.kick();
    });
  }

  /** A ReadIndex request under `ctx`: `submit` asks the core; settles once this node applied the index. */
  read(ctx: string, opts: RequestOptions, submit: () => void): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const w = this.waiter(opts, resolve, reject, () => this.reads.delete(ctx));
      this.reads.set(ctx, w);
      try {
        submit();
      } catch (e) {
        this.reads.delete(ctx);
        w.reject(this.mapError(e));
        return;
      }
      this.kick();
    });
  }

  /** The leader answered ReadIndex `ctx`: the read may go once `index` is applied here. */
  readIndexed(ctx: string, index: number): void {
    const w = this.reads.get(ctx);
    if (w) w.index = index;
  }

  resolveReads(applied: number): void {
    for (const [ctx, w] of this.reads) {
      if (w.index !== undefined && w.index <= applied) {
        this.reads.delete(ctx);
        w.resolve(w.index);
      }
    }
  }

  /** A ReadIndex request in flight to the old leader will never be answered; reads are safe to retry. */
  leaderChanged(leader: string | null): void {
    for (const [ctx, w] of this.reads) {
      if (w.index === undefined) {
        this.reads.delete(ctx);
        w.reject(new LeadershipLostError(`the leader changed to ${leader ?? 'none'} while the read was pending`));
      }
    }
  }

  /** Rejects every request past its deadline. */
  expire(now: number): void {
    for (const w of this.proposals.takeExpired(now)) w.reject(new ProposalTimeoutError(this.timeoutMs));
    for (const w of this.confChanges.takeExpired(now)) w.reject(new ProposalTimeoutError(this.timeoutMs));
    for (const [ctx, w] of this.reads) {
      if (w.deadline <= now) {
        this.reads.delete(ctx);
        w.reject(new ProposalTimeoutError(this.timeoutMs));
      }
    }
  }

  failAll(e: unknown): void {
    for (const w of this.proposals.takeAll()) w.reject(e);
    for (const w of this.confChanges.takeAll()) w.reject(e);
    for (const w of this.reads.values()) w.reject(e);
    this.reads.clear();
  }

  /**
   * A waiter with the request's deadline; a timeout reports the request's own limit. On abort,
   * `remove` takes it out of its registry (true if it was still there) and it rejects.
   */
  private waiter<T>(
    opts: RequestOptions,
    resolve: (v: T) => void,
    reject: (e: unknown) => void,
    remove: () => boolean,
  ): Waiter<T> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const signal = opts.signal;
    let onAbort: (() => void) | null = null;
    const settle = (): void => {
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    };
    const w: Waiter<T> = {
      resolve: (v) => {
        settle();
        resolve(v);
      },
      reject: (e) => {
        settle();
        reject(e instanceof ProposalTimeoutError ? new ProposalTimeoutError(timeoutMs) : e);
      },
      deadline: Date.now() + timeoutMs,
    };
    if (signal) {
      onAbort = () => {
        if (remove()) w.reject(new RaftAbortedError(signal.reason));
      };
      signal.addEventListener('abort', onAbort, { once: true });
    }
    return w;
  }
}
