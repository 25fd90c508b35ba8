// swarmkit's health gate: a task whose container has a healthcheck is RUNNING only once the
// container is healthy, and fails with docker's "container is unhealthy" when it turns unhealthy.
import type { ContainerEvent, ContainerManager } from '@flotilla/engine-core';

/** Docker's task error for a container its healthcheck declared unhealthy. */
export const UNHEALTHY_ERROR = 'task: container is unhealthy';

export type HealthOutcome = 'healthy' | 'unhealthy' | 'exited' | 'none';

/**
 * Resolves when the container's health settles on `until` (or on unhealthy), when it stops
 * running, or with 'none' at once when it has no healthcheck.
 */
export function healthOutcome(
  containers: ContainerManager,
  id: string,
  until: 'healthy' | 'unhealthy',
  opts: { signal?: AbortSignal } = {},
): Promise<HealthOutcome> {
  return new Promise((resolve) => {
    const stop = new AbortController();
    const finish = (o: HealthOutcome) => {
      containers.events.off('event', onEvent);
      opts.signal?.removeEventListener('abort', onAbort);
      stop.abort();
      resolve(o);
    };
    const current = (): HealthOutcome | null => {
      let st;
      try {
        st = containers.inspect(id).State;
      } catch {
        return 'exited';
      }
      if (!st.Running) return 'exited';
      if (!st.Health) return 'none';
      if (st.Health.Status === 'unhealthy') return 'unhealthy';
      if (st.Health.Status === 'healthy' && until === 'healthy') return 'healthy';
      return null;
    };
    const onEvent = (ev: ContainerEvent) => {
      if (ev.Actor.ID !== id || !ev.Action.startsWith('health_status')) return;
      const o = current();
      if (o) finish(o);
    };
    const onAbort = () => finish('exited');
    const now = current();
    if (now) return resolve(now);
    containers.events.on('event', onEvent);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    void containers
      .wait(id, { condition: 'not-running', signal: stop.signal })
      .then(() => finish('exited'))
      .catch(() => undefined);
  });
}
