// Pure: Docker's container healthcheck state machine (moby daemon/health.go), apart from the timer
// and exec I/O in health-monitor.ts.
import { InvalidArgumentError } from '../errors';
import type { HealthConfig, HealthcheckResult, HealthState } from './container-types';

const NS_PER_MS = 1e6;
const DEFAULT_INTERVAL_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RETRIES = 3;
/** Docker keeps the last five results in State.Health.Log. */
export const HEALTH_LOG_SIZE = 5;
/** Docker truncates a probe's output to 4 KiB. */
export const HEALTH_OUTPUT_MAX = 4096;

/** A healthcheck ready to run: the argv to exec and the durations in milliseconds. */
export interface HealthPlan {
  argv: string[];
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
}

/** The request's Healthcheck overrides the image's; each unset field falls back to the image's (docker's merge). */
export function mergeHealthcheck(
  req: HealthConfig | null | undefined,
  image: HealthConfig | undefined,
): HealthConfig | undefined {
  if (!req) return image ? { ...image } : undefined;
  const merged: HealthConfig = { ...req };
  if (!merged.Test?.length && image?.Test?.length) merged.Test = image.Test;
  for (const k of ['Interval', 'Timeout', 'Retries', 'StartPeriod'] as const) {
    if (!merged[k] && image?.[k]) merged[k] = image[k];
  }
  return merged.Test?.length ? merged : undefined;
}

/** Docker's create-time checks (0 means the default; anything else must be at least 1 ms). */
export function validateHealthcheck(c: HealthConfig | null | undefined): void {
  if (!c) return;
  for (const k of ['Interval', 'Timeout', 'StartPeriod'] as const) {
    const v = c[k];
    if (v !== undefined && v !== 0 && v < NS_PER_MS)
      throw new InvalidArgumentError(`${k} in Healthcheck cannot be less than 1ms`);
  }
  if (c.Retries !== undefined && c.Retries < 0)
    throw new InvalidArgumentError('Retries in Healthcheck cannot be negative');
}

/** What to run, or null when there is no healthcheck or it is disabled (`NONE`). */
export function healthPlan(c: HealthConfig | undefined): HealthPlan | null {
  const test = c?.Test ?? [];
  if (!test.length || test[0] === 'NONE') return null;
  let argv: string[];
  if (test[0] === 'CMD') argv = test.slice(1);
  else if (test[0] === 'CMD-SHELL') argv = ['/bin/sh', '-c', test.slice(1).join(' ')];
  // A bare list is docker's legacy form: the whole list is the command.
  else argv = test;
  if (!argv.length) return null;
  return {
    argv,
    intervalMs: c?.Interval ? c.Interval / NS_PER_MS : DEFAULT_INTERVAL_MS,
    timeoutMs: c?.Timeout ? c.Timeout / NS_PER_MS : DEFAULT_TIMEOUT_MS,
    retries: c?.Retries && c.Retries > 0 ? c.Retries : DEFAULT_RETRIES,
    startPeriodMs: c?.StartPeriod ? c.StartPeriod / NS_PER_MS : 0,
  };
}

export function initialHealth(): HealthState {
  return { Status: 'starting', FailingStreak: 0, Log: [] };
}

/**
 * Docker's rule: exit 0 makes the container healthy and resets the streak; another result adds to
 * the streak unless the container is still in its start period and not yet healthy, and the
 * streak reaching `retries` makes it unhealthy.
 */
export function applyProbe(
  h: HealthState,
  result: HealthcheckResult,
  o: { retries: number; inStartPeriod: boolean },
): HealthState {
  const Log = [...h.Log, { ...result, Output: result.Output.slice(0, HEALTH_OUTPUT_MAX) }].slice(-HEALTH_LOG_SIZE);
  if (result.ExitCode === 0) return { Status: 'healthy', FailingStreak: 0, Log };
  if (o.inStartPeriod && h.Status !== 'healthy') return { ...h, Log };
  const FailingStreak = h.FailingStreak + 1;
  return { Status: FailingStreak >= o.retries ? 'unhealthy' : h.Status, FailingStreak, Log };
}

/** The suffix `docker ps` adds to "Up …". */
export function healthSuffix(h: HealthState | undefined): string {
  if (!h) return '';
  return h.Status === 'starting' ? ' (health: starting)' : ` (${h.Status})`;
}
