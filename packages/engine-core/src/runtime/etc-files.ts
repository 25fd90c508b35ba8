// Pure generation of the per-container /etc/hosts, /etc/hostname and /etc/resolv.conf.

/** --add-host entries are "name:ip" (Docker also accepts "name=ip"). */
export function hostsFile(hostname: string, ip?: string, aliases: string[] = [], extraHosts: string[] = []): string {
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
  ];
  for (const h of extraHosts) {
    const sep = h.search(/[:=]/);
    if (sep > 0) lines.push(`${h.slice(sep + 1)}\t${h.slice(0, sep)}`);
  }
  if (ip) lines.push(`${ip}\t${[hostname, ...aliases.filter((a) => a !== hostname)].join(' ')}`);
  return lines.join('\n') + '\n';
}

/** Docker's fallback when the host has no usable nameserver. */
export const DEFAULT_NAMESERVERS = ['8.8.8.8', '8.8.4.4'];

/**
 * The host's resolv.conf minus loopback nameservers (127.x and ::1 do not reach the host's
 * resolver from a container's own network namespace); falls back to public nameservers only
 * when nothing is left. With host networking the host file is usable as is.
 */
export function containerResolvConf(hostResolvConf: string, hostNetwork = false): string {
  if (hostNetwork) return hostResolvConf;
  const out: string[] = [];
  let nameservers = 0;
  for (const line of hostResolvConf.split('\n')) {
    const server = /^\s*nameserver\s+(\S+)/.exec(line)?.[1];
    if (server !== undefined) {
      if (/^127\./.test(server) || server === '::1') continue;
      nameservers++;
    }
    out.push(line);
  }
  while (out.at(-1)?.trim() === '') out.pop();
  if (nameservers === 0) for (const ns of DEFAULT_NAMESERVERS) out.push(`nameserver ${ns}`);
  return out.join('\n') + '\n';
}

/**
 * resolv.conf of a container on a user-defined network whose embedded DNS runs: that server, the
 * host's search domains, and ndots:0 (docker's: a name with no dot is asked as is first, which is
 * what finds containers and services). Docker's nameserver is 127.0.0.11 inside the container's
 * own namespace; ours is the network's gateway, because Node cannot enter a namespace (no
 * setns) to listen there (see network/dns/server.ts).
 */
export function embeddedDnsResolvConf(hostResolvConf: string, nameserver: string): string {
  const search = hostResolvConf
    .split('\n')
    .filter((l) => /^\s*(search|domain)\s/.test(l))
    .map((l) => l.trim().replace(/^domain\s/, 'search '))
    .slice(-1);
  return [...search, `nameserver ${nameserver}`, 'options ndots:0', ''].join('\n');
}

/** --dns / --dns-search / --dns-option replace the host's entries of the same kind, like docker. */
export function applyDnsOverrides(
  resolvConf: string,
  o: { dns?: string[] | null; search?: string[] | null; options?: string[] | null },
): string {
  if (!o.dns?.length && !o.search?.length && !o.options?.length) return resolvConf;
  const lines = resolvConf.split('\n').filter((l) => {
    if (o.dns?.length && /^\s*nameserver\s/.test(l)) return false;
    if (o.search?.length && /^\s*(search|domain)\s/.test(l)) return false;
    if (o.options?.length && /^\s*options\s/.test(l)) return false;
    return l.trim() !== '';
  });
  if (o.search?.length) lines.push(`search ${o.search.join(' ')}`);
  for (const ns of o.dns ?? []) lines.push(`nameserver ${ns}`);
  if (o.options?.length) lines.push(`options ${o.options.join(' ')}`);
  return lines.join('\n') + '\n';
}
