// Messages between the routing mesh (in the daemon) and its accept-loop child processes, over
// the Node IPC channel. Listening sockets travel as the message's handle.
import type { Backend, Strategy, TunnelCredentials } from './types';

export type ToLoop =
  | { op: 'pool'; seq: number; key: string; strategy: Strategy; backends: Backend[] }
  | { op: 'drop-pool'; seq: number; key: string }
  | { op: 'listen'; seq: number; lid: number; key: string }
  | { op: 'unlisten'; seq: number; lid: number }
  | { op: 'tunnel-credentials'; seq: number; credentials?: TunnelCredentials }
  | { op: 'stats'; seq: number };

export interface PoolStatsWire {
  key: string;
  rejected: number;
  backends: {
    taskId: string;
    address: string;
    port: number;
    tunnel?: string;
    node?: string;
    active: number;
    total: number;
    failed: number;
  }[];
}

export type FromLoop =
  | { op: 'ack'; seq: number }
  | { op: 'stats'; seq: number; pools: PoolStatsWire[] }
  | { op: 'ready' }
  | { op: 'error'; message: string };

export function poolKey(serviceId: string, targetPort: number): string {
  return `${serviceId}:${targetPort}`;
}
