// A container's networking: its sandbox and published ports on the network service, and the
// /etc/hosts and /etc/resolv.conf it sees (the embedded DNS on user-defined networks).
import { readFileSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, NotFoundError } from '../errors';
import { type Logger, silentLogger } from '../log';
import type { NetworkService } from '../network/types';
import { portRequests } from './container-config';
import type { Entry } from './container-entry';
import type { ContainerRecord, HostConfig } from './container-types';
import { applyDnsOverrides, containerResolvConf, embeddedDnsResolvConf, hostsFile } from './etc-files';

/** Modes that need no network service: the host's namespace, or a namespace with only loopback. */
const NETWORK_LESS = new Set(['host', 'none']);

export interface ContainerNetworkingOptions {
  /** Needed for bridge and user networks; "host" and "none" work without it. */
  network?: NetworkService;
  /** Source of the containers' resolv.conf (default /etc/resolv.conf). */
  resolvConfPath?: string;
  log?: Logger;
}

export class ContainerNetworking {
  private readonly log: Logger;

  constructor(private readonly o: ContainerNetworkingOptions) {
    this.log = o.log ?? silentLogger;
  }

  /** The network mode a create request asks for, checked: "default" is the bridge; the network must exist. */
  async networkMode(host: HostConfig): Promise<string> {
    let networkMode = host.NetworkMode || 'default';
    if (networkMode === 'default') networkMode = 'bridge';
    if (networkMode.startsWith('container:'))
      throw new InvalidArgumentError('network mode "container:" is not supported');
    if (!NETWORK_LESS.has(networkMode)) {
      if (!this.o.network) throw new NotFoundError(`network ${networkMode} not found`);
      await this.o.network.inspect(networkMode);
    }
    return networkMode;
  }

  /**
   * The files of a new container's directory: hosts without an address yet, and the host's
   * resolv.conf with the --dns overrides. Synchronous: this is the hot path of `docker run`.
   */
  writeInitialFiles(dir: string, hostname: string, host: HostConfig, networkMode: string): void {
    writeFileSync(join(dir, 'hosts'), hostsFile(hostname, undefined, [], host.ExtraHosts ?? []));
    writeFileSync(
      join(dir, 'resolv.conf'),
      applyDnsOverrides(containerResolvConf(this.hostResolvConf(), networkMode === 'host'), {
        dns: host.Dns,
        search: host.DnsSearch,
        options: host.DnsOptions,
      }),
    );
  }

  private hostResolvConf(): string {
    try {
      return readFileSync(this.o.resolvConfPath ?? '/etc/resolv.conf', 'utf8');
    } catch {
      return ''; // no resolv.conf on the host: public fallback
    }
  }

  /** Before a start: the sandbox, published ports, /etc/hosts with the address, resolv.conf. */
  async setup(e: Entry): Promise<void> {
    const rec = e.rec;
    const mode = rec.hostConfig.NetworkMode;
    if (NETWORK_LESS.has(mode)) return;
    const net = this.o.network;
    if (!net) throw new NotFoundError(`network ${mode} not found`);
    const ep = rec.endpointsConfig[mode] ?? {};
    const sandbox = await net.createSandbox(rec.id, rec.name, mode, { aliases: ep.Aliases, ip: ep.IPv4Address });
    rec.sandboxKey = sandbox.netnsPath ?? '';
    rec.endpoints = sandbox.endpoints;
    const ip = sandbox.endpoints[0]?.ipAddress;
    try {
      const ports = portRequests(rec.hostConfig, rec.config.ExposedPorts);
      rec.ports = ports.length && ip ? await net.publish(rec.id, ip, ports) : [];
      await writeFile(
        join(e.dir, 'hosts'),
        hostsFile(rec.config.Hostname, ip, ep.Aliases ?? [], rec.hostConfig.ExtraHosts ?? []),
      );
      // The default bridge keeps the host's resolv.conf written at create, as in docker.
      if (mode !== 'bridge') await this.writeNetworkResolvConf(e, net, mode);
    } catch (err) {
      await this.teardown(rec);
      throw err;
    }
  }

  /**
   * On a user-defined network the nameserver is the network's embedded DNS while it runs (decided
   * at each start: the server may have failed to bind, or come up since the container was made).
   */
  private async writeNetworkResolvConf(e: Entry, net: NetworkService, mode: string): Promise<void> {
    const host = e.rec.hostConfig;
    const nameserver = net.dnsNameserver?.(mode);
    const hostResolv = this.hostResolvConf();
    const base = nameserver ? embeddedDnsResolvConf(hostResolv, nameserver) : containerResolvConf(hostResolv);
    // Docker: with the embedded DNS, --dns servers are where it forwards this container's unknown
    // names; the container keeps asking the embedded DNS (or it would lose its peers' names).
    if (nameserver) net.setDnsUpstreams?.(e.rec.id, host.Dns);
    const dns = nameserver ? undefined : host.Dns;
    await writeFile(
      join(e.dir, 'resolv.conf'),
      applyDnsOverrides(base, { dns, search: host.DnsSearch, options: host.DnsOptions }),
    );
  }

  /** After a run (or a failed start): ports closed, sandbox destroyed; failures are logged, not thrown. */
  async teardown(rec: ContainerRecord): Promise<void> {
    const net = this.o.network;
    if (!net || NETWORK_LESS.has(rec.hostConfig.NetworkMode)) return;
    await net.unpublish(rec.id).catch((err: unknown) => this.log.warn({ err, id: rec.id }, 'unpublish failed'));
    await net
      .destroySandbox(rec.id)
      .catch((err: unknown) => this.log.warn({ err, id: rec.id }, 'destroying sandbox failed'));
    rec.sandboxKey = '';
    rec.endpoints = [];
    rec.ports = [];
  }
}
