// The JSON the swarm API returns, as the CLI reads it.
import type { EndpointSpec, PortConfig } from '@flotilla/manager';

export interface ApiTask {
  ID: string;
  ServiceID: string;
  Slot?: number;
  NodeID?: string;
  CreatedAt: string;
  Spec: { ContainerSpec: { Image: string } };
  Status: {
    Timestamp: string;
    State: string;
    Message: string;
    Err?: string;
    PortStatus?: { Ports?: PortConfig[] };
  };
  DesiredState: string;
}

export interface ApiService {
  ID: string;
  Version: { Index: number };
  CreatedAt: string;
  Spec: {
    Name: string;
    Labels?: Record<string, string>;
    TaskTemplate: {
      ContainerSpec: { Image: string; Env?: string[]; Args?: string[]; Command?: string[] };
      ForceUpdate?: number;
      [k: string]: unknown;
    };
    Mode: { Replicated?: { Replicas: number }; Global?: object };
    EndpointSpec?: EndpointSpec;
    [k: string]: unknown;
  };
  Endpoint?: { Ports?: PortConfig[] };
  ServiceStatus?: { RunningTasks: number; DesiredTasks: number };
  UpdateStatus?: { State: string; Message?: string };
}

export interface ApiNode {
  ID: string;
  Spec: { Role: string; Availability: string; Labels: Record<string, string> };
  Description: { Hostname: string; Engine: { EngineVersion: string } };
  Status: { State: string; Addr: string };
  ManagerStatus?: { Leader?: boolean; Reachability: string; Addr: string };
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
export { cap };

/** "*:4000->80/tcp", as docker's service ls and service ps show a port. */
export function portText(p: PortConfig): string {
  return `*:${p.PublishedPort}->${p.TargetPort}/${p.Protocol}`;
}

/** The PORTS column of service ls: the published ports. */
export function portsColumn(s: ApiService): string {
  const ports = s.Endpoint?.Ports ?? s.Spec.EndpointSpec?.Ports ?? [];
  return ports
    .filter((p) => p.PublishedPort)
    .map(portText)
    .join(', ');
}
