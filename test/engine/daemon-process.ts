// A real `flotilla daemon` process over a TestEngine's data root and socket, for tests that drive
// it as users do (the CLI, the docker CLI): started until it answers, the tail of its log kept for
// failure messages, stopped with a signal and awaited. And the docker clients those tests run.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, type TestEngine } from './harness';

const BIN = join(__dirname, '../../packages/stack-cli/bin/flotilla');
const DIST = join(__dirname, '../../packages/stack-cli/dist/cli/main.js');
/** Debian's docker.io client (20.10); the docker on PATH is the current one (28.x on this machine). */
const DEBIAN_DOCKER = '/usr/bin/docker';

export class DaemonProcess {
  private proc: ChildProcess | null = null;
  private tail = '';

  constructor(private readonly e: TestEngine) {}

  /** The last 4 KB the daemon wrote to stderr. */
  get log(): string {
    return this.tail;
  }

  async start(): Promise<void> {
    if (!existsSync(DIST)) throw new Error('packages/stack-cli/dist is missing: run `npm run build` before the tests');
    const args = [BIN, 'daemon', '--data-root', this.e.dataRoot, '-H', this.e.host, '--mesh-tunnel-port', '0'];
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    proc.stderr!.on('data', (d: Buffer) => (this.tail = (this.tail + d.toString()).slice(-4000)));
    await eventually(
      async () => (await this.e.cli(['version'])).code === 0,
      20_000,
      `the daemon to answer (log: ${this.tail})`,
    );
  }

  /** Sends `signal` and resolves once the process has exited (at once if it is not running). */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = this.proc;
    this.proc = null;
    return new Promise<void>((r) => {
      if (!p || p.exitCode !== null || p.signalCode !== null) return r();
      p.once('exit', () => r());
      p.kill(signal);
    });
  }
}

/** The docker clients to check: the one on PATH and Debian's, once each (both must be installed). */
export function dockerClients(): string[] {
  const onPath = (process.env.PATH ?? '')
    .split(':')
    .map((d) => join(d, 'docker'))
    .find((p) => existsSync(p));
  if (!onPath) throw new Error('no docker CLI on PATH: install the docker client (docker-ce-cli)');
  if (!existsSync(DEBIAN_DOCKER)) throw new Error(`${DEBIAN_DOCKER} is missing: apt-get install docker.io`);
  return [...new Set([realpathSync(onPath), realpathSync(DEBIAN_DOCKER)])];
}
