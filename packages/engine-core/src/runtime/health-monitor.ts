// The timer and exec side of a container's healthcheck: one probe every interval while the
// container runs, each killed at its timeout; state changes go through the pure rules in health.ts.
import type { HealthcheckResult, HealthState } from './container-types';
import { applyProbe, HEALTH_OUTPUT_MAX, initialHealth, type HealthPlan } from './health';

/** Runs argv in the container; resolves with its exit code and combined output. */
export type ProbeRunner = (
  argv: string[],
  opts: { signal: AbortSignal },
) => Promise<{ exitCode: number; output: string }>;

export interface HealthMonitorOptions {
  plan: HealthPlan;
  run: ProbeRunner;
  /** Called after every probe with the new state (to save it), and whether Status changed. */
  onUpdate: (h: HealthState, statusChanged: boolean) => void;
}

export class HealthMonitor {
  private health: HealthState = initialHealth();
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | null = null;
  private readonly stopper = new AbortController();

  constructor(private readonly o: HealthMonitorOptions) {}

  get state(): HealthState {
    return this.health;
  }

  /** Docker waits one interval before the first probe. */
  start(): void {
    this.schedule();
  }

  /** Stops the timer and kills a probe in flight. */
  stop(): void {
    this.stopper.abort();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.stopper.signal.aborted) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.probe().then(() => this.schedule());
    }, this.o.plan.intervalMs);
  }

  private async probe(): Promise<void> {
    const { plan } = this.o;
    const start = new Date();
    const timeout = AbortSignal.timeout(plan.timeoutMs);
    const signal = AbortSignal.any([timeout, this.stopper.signal]);
    let result: HealthcheckResult;
    try {
      const r = await this.o.run(plan.argv, { signal });
      result = timeout.aborted
        ? {
            Start: start.toISOString(),
            End: new Date().toISOString(),
            ExitCode: -1,
            Output: `Health check exceeded timeout (${formatMs(plan.timeoutMs)})`,
          }
        : {
            Start: start.toISOString(),
            End: new Date().toISOString(),
            ExitCode: r.exitCode,
            Output: r.output.slice(0, HEALTH_OUTPUT_MAX),
          };
    } catch (err) {
      result = {
        Start: start.toISOString(),
        End: new Date().toISOString(),
        ExitCode: -1,
        Output: err instanceof Error ? err.message : String(err),
      };
    }
    // A probe cut short by stop says nothing about the container's health.
    if (this.stopper.signal.aborted) return;
    const before = this.health.Status;
    this.health = applyProbe(this.health, result, {
      retries: plan.retries,
      inStartPeriod: start.getTime() - this.started < plan.startPeriodMs,
    });
    this.o.onUpdate(this.health, this.health.Status !== before);
  }
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
