import os from 'node:os';

/** A --listen-addr / --advertise-addr value: "ip", "ip:port", ":port", or an interface name. */
export function resolveAddr(value: string | undefined, defaultPort: number, fallbackHost: () => string): string {
  if (!value) return `${fallbackHost()}:${defaultPort}`;
  const ifaces = os.networkInterfaces();
  const [hostPart, portPart] = value.includes(':')
    ? [value.slice(0, value.lastIndexOf(':')), value.slice(value.lastIndexOf(':') + 1)]
    : [value, ''];
  const port = portPart ? Number(portPart) : defaultPort;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid port in address "${value}"`);
  let host = hostPart || fallbackHost();
  const iface = ifaces[host];
  if (iface) {
    const v4 = iface.find((a) => a.family === 'IPv4');
    if (!v4) throw new Error(`interface ${host} has no IPv4 address`);
    host = v4.address;
  }
  return `${host}:${port}`;
}

/** The address to advertise when none is given: the only non-loopback IPv4, like docker. */
export function defaultAdvertiseHost(): string {
  const candidates: string[] = [];
  for (const [name, addrs] of Object.entries(os.networkInterfaces())) {
    if (/^(lo|fl[0-9a-f]{6}-|v[0-9a-f]{6}|docker|veth)/.test(name)) continue;
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) candidates.push(`${a.address} on ${name}`);
  }
  const [only, ...more] = candidates;
  if (only === undefined) return '127.0.0.1';
  if (more.length) {
    throw new Error(
      `could not choose an IP address to advertise since this system has multiple addresses on different interfaces (${candidates.join(' and ')}) - specify one with --advertise-addr`,
    );
  }
  return only.slice(0, only.indexOf(' '));
}
