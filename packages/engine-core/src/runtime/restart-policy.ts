// Engine-level restart policies (docker run --restart), as pure decisions.
import { InvalidArgumentError } from '../errors';
import type { RestartPolicy } from './container-types';

/** Parse "--restart" text: no | always | unless-stopped | on-failure[:N]. */
export function parseRestartPolicy(text: string): RestartPolicy {
  const [name, count] = text.split(':', 2);
  if (name === 'no' || name === '' || name === 'always' || name === 'unless-stopped') {
    if (count !== undefined)
      throw new InvalidArgumentError(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
    return { Name: name === '' ? 'no' : name, MaximumRetryCount: 0 };
  }
  if (name === 'on-failure') {
    const n = count === undefined ? 0 : Number(count);
    if (!Number.isInteger(n) || n < 0)
      throw new InvalidArgumentError(`invalid restart policy: maximum retry count must be a positive integer`);
    return { Name: 'on-failure', MaximumRetryCount: n };
  }
  throw new InvalidArgumentError(
    `invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`,
  );
}

export function validateRestartPolicy(p: RestartPolicy | undefined, autoRemove: boolean): RestartPolicy {
  const policy: RestartPolicy = { Name: p?.Name || 'no', MaximumRetryCount: p?.MaximumRetryCount ?? 0 };
  if (!['no', 'always', 'unless-stopped', 'on-failure'].includes(policy.Name)) {
    throw new InvalidArgumentError(
      `invalid restart policy: unknown policy '${policy.Name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`,
    );
  }
  if (policy.Name !== 'on-failure' && policy.MaximumRetryCount) {
    throw new InvalidArgumentError(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
  }
  if (autoRemove && policy.Name !== 'no')
    throw new InvalidArgumentError('conflicting options: cannot specify both --restart and --rm');
  return policy;
}

/** Whether a container that just exited should be started again. */
export function shouldRestart(
  p: RestartPolicy,
  exitCode: number,
  restartCount: number,
  manuallyStopped: boolean,
): boolean {
  if (manuallyStopped) return false;
  switch (p.Name) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      return exitCode !== 0 && (!p.MaximumRetryCount || restartCount < p.MaximumRetryCount);
    default:
      return false;
  }
}

/**
 * Docker's back-off: 100 ms doubling per consecutive restart, capped at one minute, reset when the
 * container ran for at least 10 s.
 */
export function restartDelayMs(previousDelayMs: number, ranForMs: number): number {
  if (ranForMs >= 10_000 || previousDelayMs === 0) return 100;
  return Math.min(previousDelayMs * 2, 60_000);
}
