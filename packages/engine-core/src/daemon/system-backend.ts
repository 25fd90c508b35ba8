// /version and /info: what this engine is and what it holds.
import { readFileSync } from 'node:fs';
import { cpus, hostname, release, totalmem } from 'node:os';
import type { SystemBackend } from '../api/backend';
import type { DataPaths } from '../paths';

export const ENGINE_VERSION = '0.1.0';
export const API_VERSION = '1.41';

function osName(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    return m?.[1] ?? 'Linux';
  } catch {
    return 'Linux';
  }
}

export interface EventSource {
  on(event: 'event', fn: (ev: Record<string, unknown>) => void): unknown;
  off(event: 'event', fn: (ev: Record<string, unknown>) => void): unknown;
}

export interface Counts {
  containers(): { total: number; running: number; paused: number; stopped: number };
  images(): Promise<number>;
}

export function systemBackend(
  paths: DataPaths,
  counts: Counts,
  events?: EventSource,
  swarm?: () => Record<string, unknown>,
): SystemBackend {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const started = new Date().toISOString();
  return {
    subscribe: events
      ? (onEvent) => {
          events.on('event', onEvent);
          return () => events.off('event', onEvent);
        }
      : undefined,
    version() {
      return {
        Platform: { Name: 'flotilla engine' },
        Components: [
          { Name: 'Engine', Version: ENGINE_VERSION, Details: { ApiVersion: API_VERSION, Os: 'linux', Arch: arch } },
        ],
        Version: ENGINE_VERSION,
        ApiVersion: API_VERSION,
        MinAPIVersion: '1.24',
        GitCommit: '',
        GoVersion: `node ${process.version}`,
        Os: 'linux',
        Arch: arch,
        KernelVersion: release(),
        BuildTime: started,
      };
    },
    async info() {
      const c = counts.containers();
      return {
        ID: paths.instance,
        Containers: c.total,
        ContainersRunning: c.running,
        ContainersPaused: c.paused,
        ContainersStopped: c.stopped,
        Images: await counts.images(),
        Driver: 'overlay2',
        DriverStatus: [['Backing Filesystem', 'extfs']],
        LoggingDriver: 'json-file',
        CgroupDriver: 'cgroupfs',
        CgroupVersion: '2',
        DefaultRuntime: 'runc',
        Runtimes: { runc: { path: 'runc' } },
        KernelVersion: release(),
        OperatingSystem: osName(),
        OSType: 'linux',
        Architecture: process.arch === 'x64' ? 'x86_64' : process.arch,
        NCPU: cpus().length,
        MemTotal: totalmem(),
        Name: hostname(),
        DockerRootDir: paths.root,
        ServerVersion: ENGINE_VERSION,
        Swarm: swarm?.() ?? { NodeID: '', LocalNodeState: 'inactive', ControlAvailable: false },
        SystemTime: new Date().toISOString(),
      };
    },
  };
}
