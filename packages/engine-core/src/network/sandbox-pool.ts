// A few network namespaces made ahead of time on the default bridge, fully wired (veth, address,
// route), so that creating a container's sandbox costs no process spawn on the critical path:
// making one takes two spawns and ~10 ms of kernel work, which the pool does in the background.
import type { Logger } from '../log';

export interface PooledSandbox {
  netnsPath: string;
  hostVeth: string;
  ipAddress: string;
}

export class SandboxPool {
  private readonly ready: PooledSandbox[] = [];
  private filling: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly size: number,
    private readonly make: () => Promise<PooledSandbox>,
    private readonly drop: (s: PooledSandbox) => Promise<void>,
    private readonly log: Logger,
  ) {}

  /** A ready sandbox, or undefined when the pool is empty; refills in the background. */
  take(): PooledSandbox | undefined {
    const s = this.ready.shift();
    void this.fill();
    return s;
  }

  /** Starts filling; the promise settles when the pool is full (or making one failed). */
  fill(): Promise<void> {
    if (this.closed || this.size === 0) return Promise.resolve();
    this.filling ??= (async () => {
      try {
        while (!this.closed && this.ready.length < this.size) {
          const s = await this.make();
          if (this.closed) await this.drop(s);
          else this.ready.push(s);
        }
      } catch (e) {
        // An exhausted subnet or a kernel error: containers fall back to the direct path, which reports it.
        this.log.warn({ err: (e as Error).message }, 'could not prepare a network sandbox ahead of time');
      } finally {
        this.filling = undefined;
      }
    })();
    return this.filling;
  }

  /** Stops filling and destroys what is ready. */
  async close(): Promise<void> {
    this.closed = true;
    await this.filling;
    const all = this.ready.splice(0);
    await Promise.all(all.map((s) => this.drop(s)));
  }
}
