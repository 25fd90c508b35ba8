// The hot path of sandboxes (create, remove) runs in one long-lived /bin/sh that the daemon talks
// to over a pipe. Forking the daemon itself costs 3-5 ms of blocked event loop per spawn here;
// forking a small shell costs a fraction of that and blocks nothing in the daemon.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { EngineError } from '../errors';

export interface VethSpec {
  hostVeth: string;
  bridge: string;
  ipCidr: string;
  gateway: string;
  mac: string;
}

// One request per line: "<id> <op> <args...>"; one answer per line: "<id> ok" or "<id> err <text>".
// The namespace file is created with noclobber (never reuse one), then `unshare --net=FILE` makes
// the namespace and bind-mounts it there (what `ip netns add` does) and runs ip inside it: lo up,
// eth0 whose peer is born in this shell's (= the daemon's) namespace, address, default route.
// A second ip enslaves the peer to the bridge. On failure everything made so far is removed.
const SCRIPT = `
set -C
reply() { if [ -z "$2" ]; then echo "$1 ok"; else printf '%s err %s\\n' "$1" "$(printf '%s' "$2" | tr '\\n' ' ')"; fi; }
while IFS=' ' read -r id op a b c d e f; do
  case "$op" in
    create)
      if out=$( { : > "$a" && printf 'link set lo up\\nlink add eth0 address %s type veth peer name %s netns %s\\naddr add %s dev eth0\\nlink set eth0 up\\nroute add default via %s\\n' "$f" "$b" "$$" "$d" "$e" | unshare --net="$a" ip -batch - && ip link set "$b" master "$c" up; } 2>&1 ); then
        reply "$id" ""
      else
        umount -l "$a" 2>/dev/null; rm -f "$a"; ip link del "$b" 2>/dev/null
        reply "$id" "\${out:-failed}"
      fi ;;
    lo)
      if out=$( { : > "$a" && unshare --net="$a" ip link set lo up; } 2>&1 ); then reply "$id" ""
      else umount -l "$a" 2>/dev/null; rm -f "$a"; reply "$id" "\${out:-failed}"; fi ;;
    attach)
      if out=$( { ip link add "$b" master "$c" up type veth peer name "$f" address "$e" netns "$a" && printf 'addr add %s dev %s\nlink set %s up\n' "$d" "$f" "$f" | nsenter --net="$a" ip -batch -; } 2>&1 ); then reply "$id" ""
      else ip link del "$b" 2>/dev/null; reply "$id" "\${out:-failed}"; fi ;;
    detach)
      if out=$(ip link del "$a" 2>&1); then reply "$id" ""; else reply "$id" "\${out:-failed}"; fi ;;
    rmns)
      umount -l "$a" 2>/dev/null
      if out=$(rm -f "$a" 2>&1); then reply "$id" ""; else reply "$id" "\${out:-failed}"; fi ;;
    *) reply "$id" "unknown operation $op" ;;
  esac
done
`;

/** Arguments travel space-separated: refuse anything that could split or inject. */
function checkArg(a: string): string {
  if (!/^[A-Za-z0-9_./:@+-]+$/.test(a))
    throw new EngineError(`unsafe argument for the netns helper: ${JSON.stringify(a)}`);
  return a;
}

export class NetnsHelper {
  private child?: ChildProcessWithoutNullStreams;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();

  private ensure(): ChildProcessWithoutNullStreams {
    if (this.child && this.child.exitCode === null && !this.child.killed) return this.child;
    const child = spawn('/bin/sh', ['-c', SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.on('error', () => undefined);
    child.stderr.resume();
    child.on('error', (e) => this.failAll(e));
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = undefined;
      this.failAll(new EngineError(`the netns helper exited (${signal ?? code})`));
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^(\d+) (ok|err)(?: (.*))?$/.exec(line);
      if (!m) return;
      const w = this.waiting.get(Number(m[1]));
      if (!w) return;
      this.waiting.delete(Number(m[1]));
      if (m[2] === 'ok') w.resolve();
      else w.reject(new EngineError(`network sandbox: ${(m[3] ?? '').trim()}`));
    });
    // Our requests are the only reason it runs; do not keep the daemon alive for it.
    child.unref();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
    this.child = child;
    return child;
  }

  private failAll(e: Error): void {
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
  }

  private request(op: string, args: string[]): Promise<void> {
    const line = [op, ...args.map(checkArg)].join(' ');
    const child = this.ensure();
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      child.stdin.write(`${id} ${line}\n`);
    });
  }

  /** A new namespace bind-mounted on `path`: lo up and, with `veth`, eth0 wired to the bridge. */
  createNetns(path: string, veth: VethSpec | null): Promise<void> {
    if (!veth) return this.request('lo', [path]);
    return this.request('create', [path, veth.hostVeth, veth.bridge, veth.ipCidr, veth.gateway, veth.mac]);
  }

  /** One more interface `ifname` in an existing namespace, wired to another bridge (network connect). */
  attach(path: string, veth: Omit<VethSpec, 'gateway'>, ifname: string): Promise<void> {
    return this.request('attach', [path, veth.hostVeth, veth.bridge, veth.ipCidr, veth.mac, ifname]);
  }

  /** Deletes a host veth and with it its peer in the container (network disconnect). */
  detach(hostVeth: string): Promise<void> {
    return this.request('detach', [hostVeth]);
  }

  /** Unmounts and removes a namespace file; the namespace goes once no process is left in it. */
  removeNetns(path: string): Promise<void> {
    return this.request('rmns', [path]);
  }

  close(): void {
    this.child?.stdin.end();
    this.child = undefined;
  }
}
