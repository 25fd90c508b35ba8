// A private Docker engine for interop tests: Debian's docker.io dockerd on a temp data root, exec
// root and socket, with no bridge and no iptables rules, so it touches no host networking and
// leaves nothing behind once stopped.
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Where `name` is on PATH (plus the sbin dirs a root shell has), or null. */
function which(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin'];
  for (const d of dirs) if (d && existsSync(join(d, name))) return join(d, name);
  return null;
}

export interface DockerResult {
  code: number;
  stdout: string;
  stderr: string;
}

// Files dockerd 20.10 writes outside its roots whatever the flags say.
const HOST_LEFTOVERS = ['/etc/docker/key.json', '/run/docker/plugins', '/run/docker'];

export class PrivateDockerd {
  readonly dir: string;
  readonly socket: string;
  readonly env: NodeJS.ProcessEnv;
  /** The client from the same package as dockerd (a newer client elsewhere on PATH may want buildx). */
  readonly client: string;
  private proc: ChildProcess | null = null;
  private readonly preexisting: Set<string>;

  constructor(name: string) {
    const dockerd = which('dockerd');
    if (!dockerd)
      throw new Error(
        'dockerd not found: the Docker interop test needs a real Docker engine (apt-get install docker.io)',
      );
    this.client = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : (which('docker') ?? '');
    if (!this.client) throw new Error('the docker client is not found: apt-get install docker.io');
    this.preexisting = new Set(HOST_LEFTOVERS.filter((p) => existsSync(p)));
    this.dir = mkdtempSync(join(tmpdir(), `flotilla-dockerd-${name}-`));
    this.socket = join(this.dir, 'docker.sock');
    mkdirSync(join(this.dir, 'config'));
    // Legacy builder: the classic `docker build` output, no buildx plugin needed.
    this.env = {
      PATH: process.env.PATH,
      HOME: this.dir,
      DOCKER_HOST: `unix://${this.socket}`,
      DOCKER_BUILDKIT: '0',
      DOCKER_CONFIG: join(this.dir, 'config'),
    };
  }

  /** Start dockerd and wait until it answers /_ping (it starts its own containerd under the exec root). */
  async start(timeoutMs = 30_000): Promise<void> {
    const d = this.dir;
    writeFileSync(join(d, 'daemon.json'), '{}');
    const log = openSync(join(d, 'dockerd.log'), 'a');
    // prettier-ignore
    const args = [
      '--config-file', join(d, 'daemon.json'), '--data-root', join(d, 'data'), '--exec-root', join(d, 'exec'),
      '--pidfile', join(d, 'dockerd.pid'), '-H', `unix://${this.socket}`,
      '--bridge=none', '--iptables=false', '--ip6tables=false', '--ip-masq=false', '--ip-forward=false', '--userland-proxy=false',
    ];
    const proc = spawn(which('dockerd') as string, args, { stdio: ['ignore', log, log] });
    this.proc = proc;
    const exited = new Promise<never>((_, reject) =>
      proc.once('exit', (code) =>
        reject(new Error(`dockerd exited (${code}) before it answered:\n${this.log().slice(-2000)}`)),
      ),
    );
    exited.catch(() => undefined);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ok = await Promise.race([this.ping(), exited]);
      if (ok) return;
      if (Date.now() > deadline)
        throw new Error(`dockerd did not answer on ${this.socket} within ${timeoutMs} ms:\n${this.log().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  log(): string {
    try {
      return readFileSync(join(this.dir, 'dockerd.log'), 'utf8');
    } catch {
      return '';
    }
  }

  private ping(): Promise<boolean> {
    return new Promise((resolve) => {
      const req = request({ socketPath: this.socket, path: '/_ping' }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.end();
    });
  }

  /** `docker <args>` against this engine. */
  run(args: string[], opts: { timeoutMs?: number } = {}): Promise<DockerResult> {
    return new Promise((resolve) => {
      execFile(
        this.client,
        args,
        { env: this.env, encoding: 'utf8', timeout: opts.timeoutMs ?? 60_000, maxBuffer: 16 << 20 },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
          resolve({ code, stdout, stderr: err && !stderr ? String(err.message) : stderr });
        },
      );
    });
  }

  /** Like run() but throws with the output when docker fails. */
  async ok(args: string[], opts: { timeoutMs?: number } = {}): Promise<string> {
    const r = await this.run(args, opts);
    if (r.code !== 0)
      throw new Error(`docker ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r.stdout;
  }

  /** Stop dockerd (SIGTERM, then SIGKILL after 15 s), unmount what it left, remove its dirs and host files. */
  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = null;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    // A killed dockerd may leave its containerd and shims; they run from our exec root.
    for (const pid of pidsUsing(this.dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    for (const m of mountsUnder(this.dir).reverse()) {
      try {
        execFileSync('umount', ['-l', m]);
      } catch {
        /* already gone */
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
    for (const p of HOST_LEFTOVERS) {
      if (this.preexisting.has(p)) continue;
      try {
        if (p.endsWith('.json')) rmSync(p);
        else rmdirSync(p); // only when empty: another engine may use it
      } catch {
        /* not there, or not empty (another engine uses it) */
      }
    }
  }
}

function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m.startsWith(`${dir}/`));
}

/** Processes whose command line mentions `dir` (containerd, shims started for this engine). */
function pidsUsing(dir: string): number[] {
  const out: number[] = [];
  for (const pid of execFileSync('ls', ['/proc'], { encoding: 'utf8' }).split('\n')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) out.push(Number(pid));
    } catch {
      /* exited */
    }
  }
  return out;
}
