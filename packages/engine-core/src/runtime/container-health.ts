// Docker's healthcheck for a running container: probes via `runc exec` (not listed as execs),
// State.Health kept in the record, health_status events when the status changes.
import { join } from 'node:path';
import type { Entry, EntryHooks } from './container-entry';
import { runExec } from './exec';
import { healthPlan } from './health';
import { HealthMonitor } from './health-monitor';
import { resolveUser } from './user';

export class ContainerHealth {
  constructor(
    private readonly runcRoot: string,
    private readonly hooks: EntryHooks,
  ) {}

  /** Starts the monitor of a run that just started (or clears State.Health when there is no check). */
  start(e: Entry): void {
    const plan = healthPlan(e.rec.config.Healthcheck);
    if (!plan) {
      delete e.rec.state.Health;
      return;
    }
    const monitor = new HealthMonitor({
      plan,
      run: (argv, { signal }) => this.probe(e, argv, signal),
      onUpdate: (h, changed) => {
        if (e.health !== monitor) return;
        e.rec.state.Health = h;
        this.hooks.save(e);
        if (changed) this.hooks.emit(e, `health_status: ${h.Status}`);
      },
    });
    e.health = monitor;
    e.rec.state.Health = monitor.state;
    this.hooks.save(e);
    monitor.start();
  }

  /** At the run's end. */
  stop(e: Entry): void {
    e.health?.stop();
    e.health = null;
  }

  private async probe(e: Entry, argv: string[], signal: AbortSignal): Promise<{ exitCode: number; output: string }> {
    const rec = e.rec;
    const user = await resolveUser(rec.config.User, [...rec.layerDirs, join(e.dir, 'upper')]);
    const env = [...rec.config.Env];
    if (!env.some((v) => v.startsWith('HOME='))) env.push(`HOME=${user.home}`);
    const r = runExec({
      runcRoot: this.runcRoot,
      containerId: rec.id,
      args: argv,
      env,
      cwd: rec.config.WorkingDir || '/',
      uid: user.uid,
      gid: user.gid,
      additionalGids: user.additionalGids,
      signal,
    });
    const chunks: Buffer[] = [];
    for await (const c of r.output) chunks.push(c.data);
    return { exitCode: await r.exitCode, output: Buffer.concat(chunks).toString() };
  }
}
