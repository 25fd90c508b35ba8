import type { Logger } from '@flotilla/engine-core';

export type NodeRole = 'manager' | 'worker';

export interface RoleReconcilerOptions {
  /** The role this node runs as now (null: not in a swarm). */
  current: () => NodeRole | null;
  /** One attempt to become `role` (certificate renewal, start or stop of the manager). */
  change: (role: NodeRole) => Promise<void>;
  log: Logger;
  /** First retry delay; doubles up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
}

/**
 * Brings the node's role to the one its session last announced (node promote / demote), and keeps
 * trying until it gets there: an attempt can come back empty-handed, e.g. when the manager that
 * renewed the certificate had not applied the role change yet, or no manager answered. Level- not
 * edge-triggered: one announcement is enough, however many attempts it takes.
 */
export class RoleReconciler {
  private wanted: NodeRole | null = null;
  /** The attempt under way. */
  private attempt: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private failures = 0;
  private stopped = false;

  constructor(private readonly o: RoleReconcilerOptions) {}

  /** The session says this node is `role`. */
  want(role: NodeRole): void {
    this.wanted = role;
    this.kick();
  }

  /** No more attempts; resolves once the one under way (if any) is over. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.attempt;
  }

  private kick(): void {
    if (this.attempt || this.timer || this.stopped) return;
    const role = this.wanted;
    const current = this.o.current();
    if (role === null || current === null || current === role) {
      this.failures = 0;
      return;
    }
    this.attempt = this.o
      .change(role)
      .catch((e: Error) => this.o.log.warn({ err: e.message, role }, "could not change this node's role: retrying"))
      .finally(() => {
        this.attempt = null;
        this.after(role);
      });
  }

  private after(tried: NodeRole): void {
    if (this.stopped || this.wanted === null || this.o.current() === this.wanted) {
      this.failures = 0;
      return;
    }
    // Announced another role meanwhile: go for it at once. Otherwise retry with backoff.
    if (this.wanted !== tried) return this.kick();
    this.failures++;
    const delay = Math.min((this.o.retryMs ?? 250) * 2 ** (this.failures - 1), this.o.maxRetryMs ?? 5000);
    // The first misses are expected (a follower a moment behind); later ones are worth a warning.
    this.o.log[this.failures >= 3 ? 'warn' : 'info'](
      { role: tried, attempt: this.failures, retryInMs: delay },
      'this node is not yet the role its session announced: retrying',
    );
    this.timer = setTimeout(() => {
      this.timer = null;
      this.kick();
    }, delay);
    this.timer.unref();
  }
}
