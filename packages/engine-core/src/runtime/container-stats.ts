// docker stats over the manager's containers: the last CPU sample of each running container is
// kept, so that a one-shot request still gets precpu_stats for a CPU percentage.
import type { DataPaths } from '../paths';
import type { Entry } from './container-entry';
import { type ContainerStats, sampleStats } from './stats';

export class ContainerStatsSampler {
  private readonly lastCpu = new Map<string, { time: string; cpu: ContainerStats['cpu_stats'] }>();

  constructor(private readonly paths: DataPaths) {}

  /**
   * Without `oneShot`, takes a second sample after `intervalMs` (default 1 s) when there is no
   * earlier one, like docker.
   */
  async sample(e: Entry, opts: { oneShot?: boolean; intervalMs?: number } = {}): Promise<ContainerStats> {
    const id = e.rec.id;
    let pre = this.lastCpu.get(id);
    if (!opts.oneShot && !pre && e.proc) {
      const first = await sampleStats(this.paths, id, e.rec.name);
      pre = { time: first.read, cpu: first.cpu_stats };
      await new Promise((r) => setTimeout(r, opts.intervalMs ?? 1000));
    }
    const s = await sampleStats(this.paths, id, e.rec.name, pre);
    if (e.proc) this.lastCpu.set(id, { time: s.read, cpu: s.cpu_stats });
    return s;
  }

  forget(id: string): void {
    this.lastCpu.delete(id);
  }
}
