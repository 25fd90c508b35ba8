// One run of a container: `runc run` in the foreground, its stdio fanned out to the log file and
// to attached clients. `start` resolves once runc has started the user process (pid file written).
import { readFileSync, rmSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Readable } from 'node:stream';
import type { ChildProcess } from 'node:child_process';
import type { OutputChunk } from './container-types';
import { runcErrorMessage } from './runc';
import { spawnRuncRun, waitChild } from './runc-run';

export class StartFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export class ContainerProcess {
  /** Resolves with the container's exit code after its output has been drained. */
  readonly exited: Promise<number>;

  private constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
    exited: Promise<number>,
  ) {
    this.exited = exited;
  }

  get runcPid(): number {
    return this.child.pid ?? 0;
  }

  get stdin(): NodeJS.WritableStream | null {
    return this.child.stdin;
  }

  /** Pipe a client's stdin into the container; with `once`, the container's stdin closes at its end. */
  attachStdin(src: Readable, once: boolean): void {
    const dst = this.child.stdin;
    if (!dst) return;
    dst.on('error', () => undefined);
    src.pipe(dst, { end: once });
  }

  static async start(o: {
    runcRoot: string;
    bundle: string;
    id: string;
    pidFile: string;
    openStdin: boolean;
    onOutput: (c: OutputChunk) => void;
  }): Promise<ContainerProcess> {
    let resolvePid!: (pid: number) => void;
    const pidKnown = new Promise<number>((r) => (resolvePid = r));
    // A previous run's pid file would pass for this run's.
    rmSync(o.pidFile, { force: true });
    // Watch before spawning: runc writes the pid file by rename once the process has exec'd.
    const watcher = watch(dirname(o.pidFile), (_event, name) => {
      if (name === basename(o.pidFile)) {
        const p = readPid(o.pidFile);
        if (p) resolvePid(p);
      }
    });
    const child = spawnRuncRun({
      runcRoot: o.runcRoot,
      bundle: o.bundle,
      id: o.id,
      pidFile: o.pidFile,
      stdin: o.openStdin ? 'pipe' : 'ignore',
    });
    child.stdin?.on('error', () => undefined);
    let started = false;
    const early: OutputChunk[] = [];
    const onData = (stream: 'stdout' | 'stderr') => (data: Buffer) => {
      if (!started) {
        early.push({ stream, data });
        return;
      }
      o.onOutput({ stream, data });
    };
    child.stdout?.on('data', onData('stdout'));
    child.stderr?.on('data', onData('stderr'));
    const exited = waitChild(child);
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    try {
      const first = await Promise.race([
        pidKnown.then((pid) => ({ pid })),
        exited.then((code) => ({ pid: readPid(o.pidFile), code })),
        spawnError.then((err) => ({ err })),
      ]);
      if ('err' in first) throw new StartFailure(first.err.message, 127);
      if (!first.pid) {
        const stderr = Buffer.concat(early.filter((c) => c.stream === 'stderr').map((c) => c.data)).toString();
        const code = 'code' in first ? first.code : 1;
        const msg = runcErrorMessage(stderr) || `runc exited with code ${code}`;
        throw new StartFailure(
          msg,
          /executable file not found|no such file or directory/.test(msg)
            ? 127
            : /permission denied/.test(msg)
              ? 126
              : 128,
        );
      }
      started = true;
      for (const c of early) o.onOutput(c);
      return new ContainerProcess(child, first.pid, exited);
    } finally {
      watcher.close();
    }
  }
}

/** A few bytes, read synchronously: saves a thread-pool round trip on the start path. */
function readPid(file: string): number {
  try {
    return Number(readFileSync(file, 'utf8').trim()) || 0;
  } catch {
    return 0;
  }
}
