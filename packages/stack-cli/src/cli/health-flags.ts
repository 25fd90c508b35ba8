// docker run's --health-* and --no-healthcheck flags to the create body's Healthcheck (docker's
// HealthConfig, durations in nanoseconds).
import { parseDuration } from '../compose/units';
import { type FlagSpec, type ParsedArgs, UsageError, bool, str } from './args';

export const HEALTH_FLAGS: FlagSpec[] = [
  { name: 'health-cmd', type: 'string' },
  { name: 'health-interval', type: 'string' },
  { name: 'health-timeout', type: 'string' },
  { name: 'health-retries', type: 'string' },
  { name: 'health-start-period', type: 'string' },
  { name: 'no-healthcheck', type: 'bool' },
];

export interface HealthcheckBody {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
}

function duration(p: ParsedArgs, flag: string): number | undefined {
  const v = str(p, flag);
  if (v === undefined) return undefined;
  let ns: number;
  try {
    ns = parseDuration(v);
  } catch {
    throw new UsageError(`invalid argument "${v}" for "--${flag}" flag: time: invalid duration "${v}"`);
  }
  if (ns < 0) throw new UsageError(`--${flag} cannot be negative`);
  return ns;
}

/** Undefined when no health flag is given (the image's HEALTHCHECK applies unchanged). */
export function healthcheckFromFlags(p: ParsedArgs): HealthcheckBody | undefined {
  const cmd = str(p, 'health-cmd');
  const interval = duration(p, 'health-interval');
  const timeout = duration(p, 'health-timeout');
  const startPeriod = duration(p, 'health-start-period');
  const retriesText = str(p, 'health-retries');
  let retries: number | undefined;
  if (retriesText !== undefined) {
    if (!/^-?\d+$/.test(retriesText))
      throw new UsageError(
        `invalid argument "${retriesText}" for "--health-retries" flag: strconv.ParseInt: parsing "${retriesText}": invalid syntax`,
      );
    retries = Number(retriesText);
    if (retries < 0) throw new UsageError('--health-retries cannot be negative');
  }
  const any =
    cmd !== undefined ||
    interval !== undefined ||
    timeout !== undefined ||
    startPeriod !== undefined ||
    retries !== undefined;
  if (bool(p, 'no-healthcheck')) {
    if (any) throw new UsageError('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (!any) return undefined;
  const h: HealthcheckBody = {};
  if (cmd) h.Test = ['CMD-SHELL', cmd];
  if (interval !== undefined) h.Interval = interval;
  if (timeout !== undefined) h.Timeout = timeout;
  if (retries !== undefined) h.Retries = retries;
  if (startPeriod !== undefined) h.StartPeriod = startPeriod;
  return h;
}
