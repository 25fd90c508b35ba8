// `--detach=false`: follow services until every replica runs (docker's progress, in plain lines).
import type { Ctx } from '../io';
import { out } from '../io';
import type { ApiService, ApiTask } from './swarm-shapes';

const TERMINAL_FAILURES = new Set(['failed', 'rejected']);

/** Resolves when every service has its desired tasks running; reports task errors on the way. */
export async function waitConverged(
  ctx: Ctx,
  serviceIds: string[],
  opts: { timeoutMs?: number; quiet?: boolean } = {},
): Promise<boolean> {
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  const reported = new Set<string>();
  let last = '';
  for (;;) {
    let done = true;
    let running = 0;
    let desired = 0;
    // Like docker's progress: tasks on a node that is down cannot report their end; they do not hold it up.
    const down = new Set(
      (await ctx.client.json<{ ID: string; Status: { State: string } }[]>('GET', '/nodes'))
        .filter((n) => n.Status.State === 'down')
        .map((n) => n.ID),
    );
    for (const id of serviceIds) {
      const s = await ctx.client.json<ApiService>('GET', `/services/${id}`);
      const tasks = await ctx.client.json<ApiTask[]>('GET', '/tasks', {
        query: { filters: JSON.stringify({ service: [id] }) },
      });
      const want = s.Spec.Mode.Replicated?.Replicas ?? tasks.filter((t) => t.DesiredState === 'running').length;
      const up = tasks.filter(
        (t) =>
          t.DesiredState === 'running' &&
          t.Status.State === 'running' &&
          t.Spec.ContainerSpec.Image === s.Spec.TaskTemplate.ContainerSpec.Image,
      ).length;
      const stale = tasks.filter(
        (t) => t.DesiredState === 'running' && t.Spec.ContainerSpec.Image !== s.Spec.TaskTemplate.ContainerSpec.Image,
      ).length;
      running += Math.min(up, want);
      desired += want;
      // Exactly `want` live tasks: more means a scale-down the orchestrator has not acted on yet.
      const live = tasks.filter(
        (t) =>
          t.DesiredState === 'running' &&
          !['complete', 'shutdown', 'failed', 'rejected', 'orphaned', 'remove'].includes(t.Status.State),
      ).length;
      if (
        up < want ||
        live !== want ||
        stale > 0 ||
        tasks.some(
          (t) =>
            t.DesiredState !== 'running' &&
            !down.has(t.NodeID ?? '') &&
            ['running', 'starting', 'preparing', 'assigned', 'accepted', 'ready'].includes(t.Status.State),
        )
      )
        done = false;
      for (const t of tasks) {
        if (TERMINAL_FAILURES.has(t.Status.State) && !reported.has(t.ID) && t.Status.Err) {
          reported.add(t.ID);
          if (!opts.quiet) out(ctx, `${s.Spec.Name}.${t.Slot ?? t.NodeID}: ${t.Status.State}: ${t.Status.Err}`);
        }
      }
    }
    const line = `overall progress: ${running} out of ${desired} tasks`;
    if (line !== last && !opts.quiet) out(ctx, line);
    last = line;
    if (done) {
      if (!opts.quiet) out(ctx, 'verify: Service converged');
      return true;
    }
    if (Date.now() > deadline) {
      if (!opts.quiet) out(ctx, 'verify: Service did not converge in time; see "flotilla service ps"');
      return false;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
