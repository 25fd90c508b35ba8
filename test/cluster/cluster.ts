// A swarm of `flotilla machine`s for the multi-node tests and bench/swarm-cluster: N machines
// (netns + own daemon) made through the real CLI, one `swarm init`, the others joined with the
// token of their role, a busybox httpd image on every node, and the failures the tests inflict
// (kill -9 of a daemon, a cut link). Only node built-ins and the built CLI are used, so the bench
// (plain JS) loads this same file and users, tests and the bench share one code path.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');
export const BIN = join(ROOT, 'packages/stack-cli/bin/flotilla');
const DIST = join(ROOT, 'packages/stack-cli/dist/machine/index.js');

export type Role = 'manager' | 'worker';

export interface Machine {
  name: string;
  role: Role;
  ip: string;
  /** The daemon's API socket (FLOTILLA_HOST=unix://<socket>). */
  socket: string;
  /** Host side of the machine's veth on the bridge: down = the machine is cut off. */
  hostVeth: string;
  netns: string;
  dataRoot: string;
  /** Filled in once joined. */
  nodeId: string;
}

export interface RunResult {
  code: number;
  out: string;
  err: string;
}

/** Docker-API shapes the tests read (the subset they need). */
export interface ApiTask {
  ID: string;
  ServiceID: string;
  NodeID?: string;
  Slot?: number;
  DesiredState: string;
  Status: { State: string; Message?: string; Err?: string; ContainerStatus?: { ContainerID?: string; PID?: number } };
}
export interface ApiNode {
  ID: string;
  Description: { Hostname: string };
  Spec: { Availability: string; Role: string };
  Status: { State: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs a command; never throws (the caller checks the code). */
export function run(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {},
): Promise<RunResult> {
  return new Promise((res) => {
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      res({ code: -1, out, err: err + e.message });
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      res({ code: code ?? (sig ? 128 : -1), out, err });
    });
  });
}

/** Polls `fn` until it returns a value other than undefined/false; throws with the last state on timeout. */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`,
      );
    await sleep(everyMs);
  }
}

/** One Docker-API call to a machine's daemon (faster than a CLI process per poll). */
export function api<T = unknown>(
  socket: string,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 10_000,
): Promise<T> {
  return new Promise((res, rej) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      {
        socketPath: socket,
        method,
        path: `/v1.41${path}`,
        headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {},
        timeout: timeoutMs,
        agent: false,
      },
      (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if ((r.statusCode ?? 500) >= 400) rej(new Error(`${method} ${path}: ${r.statusCode} ${text.trim()}`));
          else res((text ? JSON.parse(text) : undefined) as T);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
    req.on('error', rej);
    req.end(data);
  });
}

/** Alive and not a zombie. */
export function pidAlive(pid: number): boolean {
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** The page the test image serves: the container's hostname (its short ID), one per replica. */
export const HTTPD_SCRIPT =
  'trap "exit 0" TERM; mkdir -p /www; hostname > /www/index.html; httpd -f -p 80 -h /www & wait';

export interface ClusterOptions {
  /** One role per machine; the first must be 'manager' (it runs `swarm init`). */
  roles: Role[];
  /** Prefix of the machine names (made unique per run). */
  prefix?: string;
  log?: (line: string) => void;
}

export class Cluster {
  readonly machines: Machine[] = [];
  readonly storage: string;
  private scratch = '';
  private readonly tag: string;

  private constructor(private readonly o: ClusterOptions) {
    if (o.roles[0] !== 'manager')
      throw new Error('the first machine of a cluster must be a manager (it runs swarm init)');
    if (!existsSync(DIST)) throw new Error(`built dist missing (${DIST}): run "npx tsc -b" first`);
    // Unique per run: a crashed earlier run's machines cannot collide with this one's.
    this.tag = `${(process.pid % 46656).toString(36)}${(Date.now() % 1296).toString(36)}`;
    this.storage = mkdtempSync(join(tmpdir(), 'flc-'));
  }

  /** The machine that ran `swarm init`. */
  get manager(): Machine {
    return this.machines[0]!;
  }

  /**
   * The manager the fixture asks (nodes, tasks, join tokens): the first one by default; a test
   * that kills it points this at another manager.
   */
  control: Machine | null = null;

  private get ctl(): Machine {
    return this.control ?? this.manager;
  }

  get managers(): Machine[] {
    return this.machines.filter((m) => m.role === 'manager');
  }

  get workers(): Machine[] {
    return this.machines.filter((m) => m.role === 'worker');
  }

  private log(line: string): void {
    this.o.log?.(line);
  }

  /** Makes the machines and the swarm; on failure removes what it made and rethrows. */
  static async create(o: ClusterOptions): Promise<Cluster> {
    const c = new Cluster(o);
    try {
      await c.createMachines();
      await c.formSwarm();
    } catch (e) {
      await c.destroy().catch((d: Error) => c.log(d.message));
      throw e;
    }
    return c;
  }

  /** `flotilla ARGS` on the host against a machine's daemon. */
  fl(m: Machine, args: string[], timeoutMs = 60_000): Promise<RunResult> {
    return run(process.execPath, [BIN, ...args], {
      env: { ...process.env, FLOTILLA_HOST: `unix://${m.socket}`, FLOTILLA_MACHINE_STORAGE: this.storage },
      timeoutMs,
    });
  }

  /** Like fl, but throws unless it exits 0; returns stdout. */
  async ok(m: Machine, args: string[], timeoutMs?: number): Promise<string> {
    const r = await this.fl(m, args, timeoutMs);
    if (r.code !== 0) throw new Error(`flotilla ${args.join(' ')} on ${m.name} exited ${r.code}: ${r.err}${r.out}`);
    return r.out;
  }

  /** `flotilla machine ARGS` (the machine lab's own commands). */
  machineCmd(args: string[], timeoutMs = 90_000): Promise<RunResult> {
    // The daemons inherit this env: warnings (node down, session lost) go to their logs even under
    // jest, whose NODE_ENV=test would silence them.
    const env = {
      ...process.env,
      FLOTILLA_MACHINE_STORAGE: this.storage,
      FLOTILLA_HOST: '',
      FLOTILLA_LOG_LEVEL: process.env.FLOTILLA_LOG_LEVEL ?? 'warn',
    };
    return run(process.execPath, [BIN, 'machine', ...args], { env, timeoutMs });
  }

  /** `flotilla machine ssh NAME CMD`: CMD inside the machine (its netns, hostname and daemon). */
  ssh(m: Machine, cmd: string, timeoutMs?: number): Promise<RunResult> {
    return this.machineCmd(['ssh', m.name, cmd], timeoutMs);
  }

  /** A command in the machine's network namespace only (curl from "inside" the machine). */
  inNetns(m: Machine, argv: string[], timeoutMs = 10_000): Promise<RunResult> {
    return run('nsenter', [`--net=/run/netns/${m.netns}`, ...argv], { timeoutMs });
  }

  api<T = unknown>(m: Machine, method: string, path: string, body?: unknown): Promise<T> {
    return api<T>(m.socket, method, path, body);
  }

  private async createMachines(): Promise<void> {
    const prefix = this.o.prefix ?? 'fc';
    // One at a time: `machine create` picks the first free address, and two at once could pick the same.
    for (let i = 0; i < this.o.roles.length; i++) {
      const name = `${prefix}${this.tag}-${i + 1}`;
      const t0 = Date.now();
      const r = await this.machineCmd(['create', name]);
      if (r.code !== 0) throw new Error(`machine create ${name}: ${r.err}${r.out}`);
      const info = await this.inspect(name);
      this.machines.push({
        name,
        role: this.o.roles[i]!,
        ip: info.ip,
        socket: info.socket,
        hostVeth: info.hostVeth,
        netns: info.netns,
        dataRoot: info.dataRoot,
        nodeId: '',
      });
      this.log(`machine ${name} (${info.ip}) created in ${Date.now() - t0} ms`);
    }
  }

  async inspect(name: string): Promise<{
    ip: string;
    socket: string;
    hostVeth: string;
    netns: string;
    dataRoot: string;
    pid: number;
    State: string;
  }> {
    const r = await this.machineCmd(['inspect', '--format', 'json', name]);
    if (r.code !== 0) throw new Error(`machine inspect ${name}: ${r.err}`);
    return JSON.parse(r.out) as {
      ip: string;
      socket: string;
      hostVeth: string;
      netns: string;
      dataRoot: string;
      pid: number;
      State: string;
    };
  }

  async joinToken(role: Role): Promise<string> {
    return (await this.ok(this.ctl, ['swarm', 'join-token', '-q', role])).trim();
  }

  private async formSwarm(): Promise<void> {
    const mgr = this.manager;
    await this.ok(mgr, ['swarm', 'init', '--advertise-addr', mgr.ip]);
    const tokens: Partial<Record<Role, string>> = {};
    for (const m of this.machines.slice(1)) {
      tokens[m.role] ??= await this.joinToken(m.role);
      // One at a time: a manager joining is a Raft membership change, and those go one by one.
      const out = await this.ok(m, [
        'swarm',
        'join',
        '--token',
        tokens[m.role]!,
        '--advertise-addr',
        m.ip,
        `${mgr.ip}:2377`,
      ]);
      if (!out.includes(`joined a swarm as a ${m.role}`))
        throw new Error(`${m.name} was to join as a ${m.role}: ${out.trim()}`);
    }
    await this.waitAllReady();
  }

  nodes(): Promise<ApiNode[]> {
    return this.api<ApiNode[]>(this.ctl, 'GET', '/nodes');
  }

  /** Until every machine is a Ready node (fills in node IDs). */
  async waitAllReady(timeoutMs = 30_000): Promise<void> {
    await waitFor(
      'all nodes Ready',
      async () => {
        const nodes = await this.nodes();
        for (const m of this.machines) {
          const n = nodes.find((x) => x.Description.Hostname === m.name);
          if (!n || n.Status.State !== 'ready') return false;
          m.nodeId = n.ID;
        }
        return true;
      },
      timeoutMs,
    );
  }

  async nodeState(m: Machine): Promise<string | undefined> {
    return (await this.nodes()).find((n) => n.ID === m.nodeId)?.Status.State;
  }

  machineOf(nodeId: string | undefined): Machine | undefined {
    return this.machines.find((m) => m.nodeId === nodeId);
  }

  /** A busybox image (`sh`, `httpd`, `hostname`) imported as `tag` into every machine's store. */
  async loadImage(tag: string): Promise<void> {
    if (!this.scratch) {
      this.scratch = mkdtempSync(join(tmpdir(), 'flc-img-'));
      const root = join(this.scratch, 'root');
      mkdirSync(join(root, 'bin'), { recursive: true });
      copyFileSync('/usr/bin/busybox', join(root, 'bin/busybox'));
      for (const l of ['sh', 'httpd', 'hostname', 'mkdir', 'sleep', 'cat', 'wget', 'nslookup'])
        symlinkSync('busybox', join(root, 'bin', l));
      const r = await run('tar', ['-C', root, '-cf', join(this.scratch, 'image.tar'), '.']);
      if (r.code !== 0) throw new Error(`tar: ${r.err}`);
    }
    await Promise.all(this.machines.map((m) => this.ok(m, ['import', join(this.scratch, 'image.tar'), tag])));
  }

  tasks(service?: string): Promise<ApiTask[]> {
    const q = service ? `?filters=${encodeURIComponent(JSON.stringify({ service: [service] }))}` : '';
    return this.api<ApiTask[]>(this.ctl, 'GET', `/tasks${q}`);
  }

  /** Tasks that are running and meant to (what `service ls` counts). */
  async running(service: string): Promise<ApiTask[]> {
    return (await this.tasks(service)).filter((t) => t.Status.State === 'running' && t.DesiredState === 'running');
  }

  /** The machine's daemon pid, as `machine inspect` reports it. */
  async daemonPid(m: Machine): Promise<number> {
    return (await this.inspect(m.name)).pid;
  }

  /** kill -9 of the machine's daemon; resolves once it is gone. Returns the kill time (ms epoch). */
  async killDaemon(m: Machine): Promise<number> {
    const pid = await this.daemonPid(m);
    if (!pid || !pidAlive(pid)) throw new Error(`the daemon of ${m.name} is not running`);
    process.kill(pid, 'SIGKILL');
    const at = Date.now();
    await waitFor(`daemon ${pid} of ${m.name} to die`, async () => !pidAlive(pid), 10_000, 20);
    return at;
  }

  /** `machine start` after a kill: the daemon comes back with its data root (and its swarm state). */
  async startDaemon(m: Machine): Promise<void> {
    const r = await this.machineCmd(['start', m.name]);
    if (r.code !== 0) throw new Error(`machine start ${m.name}: ${r.err}${r.out}`);
  }

  /** Cuts the machine off the bridge (host side of its veth down): no FIN, no RST, just silence. */
  async cutLink(m: Machine): Promise<void> {
    const r = await run('ip', ['link', 'set', m.hostVeth, 'down']);
    if (r.code !== 0) throw new Error(`ip link set ${m.hostVeth} down: ${r.err}`);
  }

  async healLink(m: Machine): Promise<void> {
    const r = await run('ip', ['link', 'set', m.hostVeth, 'up']);
    if (r.code !== 0) throw new Error(`ip link set ${m.hostVeth} up: ${r.err}`);
  }

  /** Containers the machine's engine runs (all states). */
  containers(m: Machine): Promise<{ Id: string; State: string; Labels?: Record<string, string> }[]> {
    return this.api(m, 'GET', '/containers/json?all=1');
  }

  /** The last lines of a machine's daemon log (for failure messages). */
  daemonLog(m: Machine, lines = 40): string {
    return this.fullDaemonLog(m).split('\n').slice(-lines).join('\n');
  }

  /** `p`, or on failure its error with the tails of these machines' daemon logs appended. */
  withLogs<T>(machines: Machine[], p: Promise<T>, lines = 40): Promise<T> {
    return p.catch((e: Error) => {
      throw new Error(
        `${e.message}${machines.map((m) => `\n--- ${m.name} daemon log (last ${lines} lines) ---\n${this.daemonLog(m, lines)}`).join('')}`,
      );
    });
  }

  /** The whole daemon log of a machine (all its daemon runs). */
  fullDaemonLog(m: Machine): string {
    try {
      return readFileSync(join(this.storage, m.name, 'daemon.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /** Removes every machine (links healed first) and the temp dirs; safe to call twice and after a failure. */
  async destroy(): Promise<void> {
    const names = this.machines.map((m) => m.name);
    for (const m of this.machines) await run('ip', ['link', 'set', m.hostVeth, 'up']);
    const r = names.length ? await this.machineCmd(['rm', '-f', ...names], 180_000) : { code: 0, err: '' };
    if (this.scratch) rmSync(this.scratch, { recursive: true, force: true });
    this.scratch = '';
    // Failed: the storage stays, so that `FLOTILLA_MACHINE_STORAGE=... flotilla machine rm -f` can finish the job.
    if (r.code !== 0)
      throw new Error(`machine rm -f ${names.join(' ')} failed (storage kept at ${this.storage}): ${r.err}`);
    this.machines.length = 0;
    rmSync(this.storage, { recursive: true, force: true });
  }
}
