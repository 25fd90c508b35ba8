import type { Logger } from '@flotilla/engine-core';
import { identityOf, renewalDelayMs, renewalRetryMs } from '@flotilla/manager';

/**
 * When a node renews its certificate: at 50-80% of what is left of its life (90 days by default,
 * `swarm update --cert-expiry`), then again from the new one; a failure is retried soon, well
 * before the old one runs out.
 */
export class RenewalTimer {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly renew: () => Promise<void>,
    private readonly current: () => string | null,
    private readonly log: Logger,
  ) {}

  /** (Re)arms for the certificate `current()` returns; nothing when there is none. */
  schedule(delayMs?: number): void {
    this.stop();
    const certPem = this.current();
    if (!certPem) return;
    const notAfter = identityOf(certPem).notAfter;
    const due = Date.now() + (delayMs ?? renewalDelayMs(notAfter, Date.now()));
    const arm = () => {
      // setTimeout holds at most ~24.8 days: wait in steps until the renewal is due.
      this.timer = setTimeout(
        () => {
          if (Date.now() < due) return arm();
          this.renew().then(
            () => this.schedule(),
            (e: Error) => {
              this.log.warn(
                { err: e.message, expires: notAfter.toISOString() },
                'node certificate renewal failed: retrying',
              );
              this.schedule(renewalRetryMs(notAfter, Date.now()));
            },
          );
        },
        Math.max(0, Math.min(due - Date.now(), 2 ** 31 - 1)),
      );
      this.timer.unref();
    };
    arm();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
