import type { HealthcheckResult, HealthState } from './container-types';
import { applyProbe, healthPlan, healthSuffix, initialHealth, mergeHealthcheck, validateHealthcheck } from './health';
import { statusText } from './container-views';

const S = 1e9;

function result(code: number, out = ''): HealthcheckResult {
  return { Start: '2026-11-23T00:00:00Z', End: '2026-11-23T00:00:01Z', ExitCode: code, Output: out };
}

function run(codes: number[], o: { retries?: number; inStartPeriod?: boolean } = {}): HealthState {
  let h = initialHealth();
  for (const c of codes)
    h = applyProbe(h, result(c), { retries: o.retries ?? 3, inStartPeriod: o.inStartPeriod ?? false });
  return h;
}

describe('healthPlan', () => {
  it('runs CMD as argv and CMD-SHELL under /bin/sh -c, with docker defaults', () => {
    expect(healthPlan({ Test: ['CMD', 'curl', '-f', 'http://x/'] })).toEqual({
      argv: ['curl', '-f', 'http://x/'],
      intervalMs: 30_000,
      timeoutMs: 30_000,
      retries: 3,
      startPeriodMs: 0,
    });
    expect(
      healthPlan({
        Test: ['CMD-SHELL', 'test -f /tmp/ok'],
        Interval: 0.2 * S,
        Timeout: 2 * S,
        Retries: 5,
        StartPeriod: 1 * S,
      }),
    ).toEqual({
      argv: ['/bin/sh', '-c', 'test -f /tmp/ok'],
      intervalMs: 200,
      timeoutMs: 2000,
      retries: 5,
      startPeriodMs: 1000,
    });
  });

  it('has no plan for NONE, an empty test or no healthcheck', () => {
    expect(healthPlan({ Test: ['NONE'] })).toBeNull();
    expect(healthPlan({ Test: [] })).toBeNull();
    expect(healthPlan(undefined)).toBeNull();
  });
});

describe('mergeHealthcheck', () => {
  const image = { Test: ['CMD', 'true'], Interval: 5 * S, Retries: 4 };
  it('keeps the image healthcheck without a request one, and the request overrides field by field', () => {
    expect(mergeHealthcheck(undefined, image)).toEqual(image);
    expect(mergeHealthcheck({ Test: ['CMD-SHELL', 'false'] }, image)).toEqual({
      Test: ['CMD-SHELL', 'false'],
      Interval: 5 * S,
      Retries: 4,
    });
    expect(mergeHealthcheck({ Interval: 1 * S }, image)).toEqual({
      Test: ['CMD', 'true'],
      Interval: 1 * S,
      Retries: 4,
    });
  });
  it('NONE disables the image healthcheck', () => {
    expect(healthPlan(mergeHealthcheck({ Test: ['NONE'] }, image))).toBeNull();
    expect(mergeHealthcheck(undefined, undefined)).toBeUndefined();
  });
});

describe('validateHealthcheck', () => {
  it('accepts defaults (0) and 1 ms or more; rejects shorter durations and negative retries with docker texts', () => {
    expect(() =>
      validateHealthcheck({ Test: ['CMD', 'true'], Interval: 0, Timeout: 1e6, StartPeriod: 5 * S, Retries: 0 }),
    ).not.toThrow();
    expect(() => validateHealthcheck({ Interval: 999_999 })).toThrow('Interval in Healthcheck cannot be less than 1ms');
    expect(() => validateHealthcheck({ Timeout: -1 })).toThrow('Timeout in Healthcheck cannot be less than 1ms');
    expect(() => validateHealthcheck({ StartPeriod: 10 })).toThrow(
      'StartPeriod in Healthcheck cannot be less than 1ms',
    );
    expect(() => validateHealthcheck({ Retries: -1 })).toThrow('Retries in Healthcheck cannot be negative');
  });
});

describe('applyProbe', () => {
  it('one success makes it healthy; retries failures in a row make it unhealthy', () => {
    expect(run([0]).Status).toBe('healthy');
    expect(run([0, 1, 1])).toMatchObject({ Status: 'healthy', FailingStreak: 2 });
    expect(run([0, 1, 1, 1])).toMatchObject({ Status: 'unhealthy', FailingStreak: 3 });
    expect(run([1, 1])).toMatchObject({ Status: 'starting', FailingStreak: 2 });
    expect(run([1, 1, 1, 1, 0])).toMatchObject({ Status: 'healthy', FailingStreak: 0 });
    expect(run([1], { retries: 1 }).Status).toBe('unhealthy');
  });

  it('failures in the start period do not count, a success there still does', () => {
    expect(run([1, 1, 1, 1], { inStartPeriod: true })).toMatchObject({ Status: 'starting', FailingStreak: 0 });
    expect(run([1, 0], { inStartPeriod: true }).Status).toBe('healthy');
  });

  it('keeps the last five results and truncates output to 4 KiB', () => {
    let h = initialHealth();
    for (let i = 0; i < 7; i++) h = applyProbe(h, result(i, 'x'.repeat(5000)), { retries: 3, inStartPeriod: false });
    expect(h.Log.map((r) => r.ExitCode)).toEqual([2, 3, 4, 5, 6]);
    expect(h.Log[0]?.Output).toHaveLength(4096);
  });
});

describe('ps status', () => {
  it('appends docker health to "Up …"', () => {
    const now = Date.parse('2026-11-23T00:00:03Z');
    const st = {
      Status: 'running' as const,
      Running: true,
      Paused: false,
      Restarting: false,
      OOMKilled: false,
      Dead: false,
      Pid: 1,
      ExitCode: 0,
      Error: '',
      StartedAt: '2026-11-23T00:00:00Z',
      FinishedAt: '',
    };
    expect(statusText(st, now)).toBe('Up 3 seconds');
    expect(statusText({ ...st, Health: run([]) }, now)).toBe('Up 3 seconds (health: starting)');
    expect(statusText({ ...st, Health: run([0]) }, now)).toBe('Up 3 seconds (healthy)');
    expect(statusText({ ...st, Health: run([1, 1, 1]) }, now)).toBe('Up 3 seconds (unhealthy)');
    expect(healthSuffix(undefined)).toBe('');
  });
});
