// One stats sample from the container's cgroup v1 files, in Docker's /containers/{id}/stats shape.
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { DataPaths } from '../paths';
import { controllerDir } from './cgroups';

export interface CpuStats {
  cpu_usage: { total_usage: number; percpu_usage?: number[]; usage_in_kernelmode: number; usage_in_usermode: number };
  system_cpu_usage: number;
  online_cpus: number;
  throttling_data: { periods: number; throttled_periods: number; throttled_time: number };
}

export interface ContainerStats {
  read: string;
  preread: string;
  pids_stats: { current?: number; limit?: number };
  blkio_stats: Record<string, null>;
  num_procs: number;
  storage_stats: Record<string, never>;
  cpu_stats: CpuStats;
  precpu_stats: CpuStats;
  memory_stats: {
    usage?: number;
    max_usage?: number;
    limit?: number;
    stats?: Record<string, number>;
    failcnt?: number;
  };
  name: string;
  id: string;
}

const USER_HZ = 100;

async function num(path: string): Promise<number | undefined> {
  try {
    const t = (await readFile(path, 'utf8')).trim();
    return t === 'max' ? undefined : Number(t);
  } catch {
    return undefined;
  }
}

async function keyValues(path: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  try {
    for (const line of (await readFile(path, 'utf8')).split('\n')) {
      const [k, v] = line.split(' ');
      if (k && v !== undefined) out[k] = Number(v);
    }
  } catch {
    // controller not present
  }
  return out;
}

/** Host CPU time in nanoseconds from /proc/stat (Docker's system_cpu_usage). */
async function systemCpuUsage(): Promise<number> {
  const [line = ''] = (await readFile('/proc/stat', 'utf8')).split('\n');
  const ticks = line
    .trim()
    .split(/\s+/)
    .slice(1, 8)
    .reduce((a, b) => a + Number(b), 0);
  return (ticks * 1e9) / USER_HZ;
}

export async function sampleCpu(paths: DataPaths, id: string): Promise<CpuStats> {
  const cpuacct = controllerDir(paths, id, 'cpuacct');
  const [total, percpu, stat, throttle, system] = await Promise.all([
    num(join(cpuacct, 'cpuacct.usage')),
    readFile(join(cpuacct, 'cpuacct.usage_percpu'), 'utf8').catch(() => ''),
    keyValues(join(cpuacct, 'cpuacct.stat')),
    keyValues(join(controllerDir(paths, id, 'cpu'), 'cpu.stat')),
    systemCpuUsage(),
  ]);
  return {
    cpu_usage: {
      total_usage: total ?? 0,
      percpu_usage: percpu.trim() ? percpu.trim().split(/\s+/).map(Number) : undefined,
      usage_in_kernelmode: ((stat.system ?? 0) * 1e9) / USER_HZ,
      usage_in_usermode: ((stat.user ?? 0) * 1e9) / USER_HZ,
    },
    system_cpu_usage: system,
    online_cpus: cpus().length,
    throttling_data: {
      periods: throttle.nr_periods ?? 0,
      throttled_periods: throttle.nr_throttled ?? 0,
      throttled_time: throttle.throttled_time ?? 0,
    },
  };
}

const UNLIMITED = 0x7ffffffffffff000;

export async function sampleStats(
  paths: DataPaths,
  id: string,
  name: string,
  pre?: { time: string; cpu: CpuStats },
): Promise<ContainerStats> {
  const mem = controllerDir(paths, id, 'memory');
  const pids = controllerDir(paths, id, 'pids');
  const [cpu, usage, maxUsage, limit, failcnt, memStat, pidsCurrent, pidsMax] = await Promise.all([
    sampleCpu(paths, id),
    num(join(mem, 'memory.usage_in_bytes')),
    num(join(mem, 'memory.max_usage_in_bytes')),
    num(join(mem, 'memory.limit_in_bytes')),
    num(join(mem, 'memory.failcnt')),
    keyValues(join(mem, 'memory.stat')),
    num(join(pids, 'pids.current')),
    num(join(pids, 'pids.max')),
  ]);
  const emptyCpu: CpuStats = {
    cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
    system_cpu_usage: 0,
    online_cpus: 0,
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  };
  // Docker reports the host's memory as the limit of an unlimited container.
  const hostMem = Number(/MemTotal:\s+(\d+)/.exec(await readFile('/proc/meminfo', 'utf8'))?.[1] ?? 0) * 1024;
  return {
    read: new Date().toISOString(),
    preread: pre?.time ?? '0001-01-01T00:00:00Z',
    pids_stats: { current: pidsCurrent, ...(pidsMax !== undefined ? { limit: pidsMax } : {}) },
    blkio_stats: {
      io_service_bytes_recursive: null,
      io_serviced_recursive: null,
      io_queue_recursive: null,
      io_service_time_recursive: null,
      io_wait_time_recursive: null,
      io_merged_recursive: null,
      io_time_recursive: null,
      sectors_recursive: null,
    },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpu,
    precpu_stats: pre?.cpu ?? emptyCpu,
    memory_stats: {
      usage,
      max_usage: maxUsage,
      limit: limit === undefined || limit >= UNLIMITED ? hostMem : Math.min(limit, hostMem || limit),
      failcnt,
      stats: memStat,
    },
    name: `/${name}`,
    id,
  };
}
