// The host's resolver configuration, read for the embedded DNS: where to forward names it does not
// own, and the search domains the containers get. Parsing is pure; the reader caches by mtime.
import { statSync, readFileSync } from 'node:fs';

export interface Upstream {
  host: string;
  port: number;
}

export interface HostResolvConf {
  nameservers: Upstream[];
  search: string[];
}

/** "1.2.3.4", "1.2.3.4:5353" or "[::1]:53" -> host and port (53 by default). */
export function parseUpstream(s: string): Upstream | undefined {
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d+))?$/.exec(s);
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3})(?::(\d+))?$/.exec(s);
  const plain6 = /^[0-9a-fA-F:]+:[0-9a-fA-F:.]*$/.test(s) ? s : undefined;
  const host = v6?.[1] ?? v4?.[1] ?? plain6;
  const port = Number(v6?.[2] ?? v4?.[2] ?? 53);
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host, port };
}

/**
 * resolv.conf(5): `nameserver` lines (loopback ones too: the embedded DNS runs in the host's
 * namespace, so 127.0.0.53 is reachable from it), and the last `search` or `domain` line wins.
 */
export function parseResolvConf(text: string): HostResolvConf {
  const nameservers: Upstream[] = [];
  let search: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) {
      const u = parseUpstream(rest[0]);
      if (u) nameservers.push(u);
    } else if ((key === 'search' || key === 'domain') && rest.length > 0) {
      search = rest.filter((d) => d !== '.');
    }
  }
  return { nameservers, search };
}

/**
 * Re-reads the file when its mtime changes (DHCP and resolvconf rewrite it), looking at most once
 * a second so that a burst of queries costs no system calls; a missing file is empty.
 */
export class ResolvConfReader {
  private mtime = -1;
  private checkedAt = -Infinity;
  private cached: HostResolvConf = { nameservers: [], search: [] };

  constructor(
    readonly path: string,
    private readonly now: () => number = Date.now,
  ) {}

  read(): HostResolvConf {
    const now = this.now();
    if (now - this.checkedAt < 1000) return this.cached;
    this.checkedAt = now;
    let mtime: number;
    try {
      mtime = statSync(this.path).mtimeMs;
    } catch {
      this.mtime = -1;
      this.cached = { nameservers: [], search: [] };
      return this.cached;
    }
    if (mtime !== this.mtime) {
      try {
        this.cached = parseResolvConf(readFileSync(this.path, 'utf8'));
        this.mtime = mtime;
      } catch {
        this.cached = { nameservers: [], search: [] };
      }
    }
    return this.cached;
  }
}
