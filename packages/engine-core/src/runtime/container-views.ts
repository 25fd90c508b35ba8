// Pure: Docker's JSON views (inspect, list summary, status text) of a container record.
import { join } from 'node:path';
import { healthSuffix } from './health';
import type {
  ContainerInspect,
  ContainerRecord,
  ContainerState,
  ContainerSummary,
  EndpointSettings,
  NetworkSettings,
} from './container-types';

export const ZERO_TIME = '0001-01-01T00:00:00Z';

export function initialState(): ContainerState {
  return {
    Status: 'created',
    Running: false,
    Paused: false,
    Restarting: false,
    OOMKilled: false,
    Dead: false,
    Pid: 0,
    ExitCode: 0,
    Error: '',
    StartedAt: ZERO_TIME,
    FinishedAt: ZERO_TIME,
  };
}

/** go-units HumanDuration, as in "Up 5 seconds" / "Exited (0) 2 minutes ago". */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.floor(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(m / 60);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.floor(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.floor(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.floor(h / 24 / 30)} months`;
  return `${Math.floor(h / 24 / 365)} years`;
}

export function statusText(st: ContainerState, now: number): string {
  const since = (t: string) => humanDuration(Math.max(0, now - Date.parse(t)));
  switch (st.Status) {
    case 'running':
      return `Up ${since(st.StartedAt)}${healthSuffix(st.Health)}`;
    case 'paused':
      return `Up ${since(st.StartedAt)} (Paused)`;
    case 'restarting':
      return `Restarting (${st.ExitCode}) ${since(st.FinishedAt)} ago`;
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return 'Dead';
    case 'exited':
      return st.FinishedAt === ZERO_TIME
        ? `Exited (${st.ExitCode})`
        : `Exited (${st.ExitCode}) ${since(st.FinishedAt)} ago`;
    default:
      return 'Created';
  }
}

function endpointSettings(rec: ContainerRecord): Record<string, EndpointSettings> {
  const out: Record<string, EndpointSettings> = {};
  for (const e of rec.endpoints) {
    const ipv4 = rec.endpointsConfig[e.networkName]?.IPv4Address;
    out[e.networkName] = {
      IPAMConfig: ipv4 ? { IPv4Address: ipv4 } : null,
      Links: null,
      Aliases: e.aliases.length ? e.aliases : null,
      NetworkID: e.networkId,
      EndpointID: e.endpointId,
      Gateway: e.gateway,
      IPAddress: e.ipAddress,
      IPPrefixLen: e.prefixLen,
      IPv6Gateway: '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      MacAddress: e.macAddress,
    };
  }
  // Docker lists the configured network even when the container is not running.
  const mode = rec.hostConfig.NetworkMode;
  if (!Object.keys(out).length && mode) {
    out[mode === 'default' ? 'bridge' : mode] = {
      IPAMConfig: null,
      Links: null,
      Aliases: null,
      NetworkID: '',
      EndpointID: '',
      Gateway: '',
      IPAddress: '',
      IPPrefixLen: 0,
      IPv6Gateway: '',
      GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0,
      MacAddress: '',
    };
  }
  return out;
}

export function networkSettings(rec: ContainerRecord): NetworkSettings {
  const ports: NetworkSettings['Ports'] = {};
  for (const p of Object.keys(rec.config.ExposedPorts ?? {})) ports[p.includes('/') ? p : `${p}/tcp`] = null;
  for (const p of rec.ports) {
    const key = `${p.containerPort}/${p.proto}`;
    (ports[key] ??= []).push({ HostIp: p.hostIp || '0.0.0.0', HostPort: String(p.hostPort) });
  }
  const primary = rec.endpoints.find((e) => e.networkName === 'bridge') ?? rec.endpoints[0];
  return {
    Bridge: '',
    SandboxID: rec.sandboxKey ? rec.id : '',
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    Ports: ports,
    SandboxKey: rec.sandboxKey,
    EndpointID: primary?.endpointId ?? '',
    Gateway: primary?.gateway ?? '',
    IPAddress: primary?.ipAddress ?? '',
    IPPrefixLen: primary?.prefixLen ?? 0,
    MacAddress: primary?.macAddress ?? '',
    Networks: endpointSettings(rec),
  };
}

export function inspectView(rec: ContainerRecord, dir: string, execIds: string[]): ContainerInspect {
  return {
    Id: rec.id,
    Created: rec.created,
    Path: rec.path,
    Args: rec.args,
    State: rec.state.Health
      ? { ...rec.state, Health: { ...rec.state.Health, Log: [...rec.state.Health.Log] } }
      : { ...rec.state },
    Image: rec.imageId,
    ResolvConfPath: join(dir, 'resolv.conf'),
    HostnamePath: join(dir, 'hostname'),
    HostsPath: join(dir, 'hosts'),
    LogPath: join(dir, `${rec.id}-json.log`),
    Name: `/${rec.name}`,
    RestartCount: rec.restartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: execIds.length ? execIds : null,
    // Only the json-file driver exists; docker always reports the driver in use (docker-py's
    // containers.run reads HostConfig.LogConfig.Type).
    HostConfig: { ...rec.hostConfig, LogConfig: logConfigOf(rec) },
    GraphDriver: {
      Name: 'overlay2',
      Data: {
        LowerDir: [...rec.layerDirs].reverse().join(':'),
        UpperDir: join(dir, 'upper'),
        WorkDir: join(dir, 'work'),
        MergedDir: join(dir, 'rootfs'),
      },
    },
    Mounts: rec.mounts.filter((m) => m.Type !== 'tmpfs'),
    Config: { ...rec.config },
    NetworkSettings: networkSettings(rec),
  };
}

export function summaryView(rec: ContainerRecord, now: number): ContainerSummary {
  const ports: ContainerSummary['Ports'] = rec.ports.map((p) => ({
    IP: p.hostIp || '0.0.0.0',
    PrivatePort: p.containerPort,
    PublicPort: p.hostPort,
    Type: p.proto,
  }));
  const published = new Set(rec.ports.map((p) => `${p.containerPort}/${p.proto}`));
  for (const key of Object.keys(rec.config.ExposedPorts ?? {})) {
    const [port, proto = 'tcp'] = key.split('/');
    if (!published.has(`${port}/${proto}`)) ports.push({ PrivatePort: Number(port), Type: proto });
  }
  return {
    Id: rec.id,
    Names: [`/${rec.name}`],
    Image: rec.config.Image,
    ImageID: rec.imageId,
    Command: [rec.path, ...rec.args].join(' '),
    Created: Math.floor(Date.parse(rec.created) / 1000),
    Ports: ports,
    Labels: rec.config.Labels,
    State: rec.state.Status,
    Status: statusText(rec.state, now),
    HostConfig: { NetworkMode: rec.hostConfig.NetworkMode },
    NetworkSettings: { Networks: endpointSettings(rec) },
    Mounts: rec.mounts.filter((m) => m.Type !== 'tmpfs'),
  };
}

/** The container's log driver as docker reports it: the requested one, json-file when none was named. */
export function logConfigOf(rec: ContainerRecord): { Type: string; Config: Record<string, string> } {
  const asked = rec.hostConfig.LogConfig;
  return { Type: asked?.Type || 'json-file', Config: { ...(asked?.Config ?? {}) } };
}
