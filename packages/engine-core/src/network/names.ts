// Kernel object names of one daemon. Every name carries the daemon's instance id so that several
// daemons on one host never touch each other's devices, namespaces or iptables chains. Pure.
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { DataPaths } from '../paths';
import { parseIp } from './ipv4';

/** Linux interface names are at most 15 bytes (IFNAMSIZ - 1). */
export const IFNAMSIZ_MAX = 15;

export interface NetworkNames {
  instance: string;
  /** Bridge of the default "bridge" network (n = 0) or of the n-th user network. */
  bridge(n: number): string;
  /**
   * Host end of a new veth pair: random, because a destroyed sandbox's veth lingers until the
   * kernel has cleaned up its namespace, and a new one (same container restarted) must not clash.
   */
  hostVeth(): string;
  netnsDir: string;
  netnsPath(containerId: string): string;
  /** A namespace made ahead of time, before its container is known (see sandbox-pool.ts). */
  pooledNetnsPath(): string;
  /** Every bridge / host veth of this daemon starts with this; recovery finds leaks by it. */
  bridgePrefix: string;
  vethPrefix: string;
  natChain: string;
  filterChain: string;
}

export function networkNames(paths: Pick<DataPaths, 'instance' | 'runcRoot'>): NetworkNames {
  const { instance } = paths;
  // runcRoot is <runDir>/<instance>/runc; the netns files live beside it on the same tmpfs.
  const netnsDir = join(dirname(paths.runcRoot), 'netns');
  return {
    instance,
    bridgePrefix: `fl${instance}-`,
    vethPrefix: `v${instance}`,
    bridge: (n) => `fl${instance}-${n}`,
    hostVeth: () =>
      `v${instance}${randomBytes(8)
        .toString('hex')
        .slice(0, IFNAMSIZ_MAX - 1 - instance.length)}`,
    netnsDir,
    netnsPath: (id) => join(netnsDir, id.slice(0, 12)),
    pooledNetnsPath: () => join(netnsDir, `pool-${randomBytes(6).toString('hex')}`),
    natChain: `FLOTILLA-${instance}-NAT`,
    filterChain: `FLOTILLA-${instance}-FWD`,
  };
}

/** Docker's scheme: 02:42 followed by the four bytes of the IPv4 address. */
export function macFromIp(ip: string): string {
  const n = parseIp(ip);
  const bytes = [0x02, 0x42, n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export function newNetworkId(): string {
  return randomBytes(32).toString('hex');
}

export function newEndpointId(): string {
  return randomBytes(32).toString('hex');
}
