// A container's runs: start (volumes, network, spec, `runc run`), the exit and what the restart
// policy or --rm does after it, stop with a grace period, and removal. Callers hold the entry's lock.
import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, EngineError, InvalidArgumentError, NotModifiedError } from '../errors';
import { type Logger, silentLogger } from '../log';
import type { DataPaths } from '../paths';
import type { VolumeStore } from '../volumes/volume-store';
import { type Entry, type EntryHooks, withLock } from './container-entry';
import type { ContainerHealth } from './container-health';
import type { ContainerNetworking } from './container-network';
import { ContainerProcess, StartFailure } from './container-process';
import { containerSpec } from './container-spec';
import type { ContainerTable } from './container-table';
import type { WaitCondition, WaitResult } from './container-types';
import { ZERO_TIME } from './container-views';
import { JsonFileLogWriter } from './log-file';
import { restartDelayMs, shouldRestart } from './restart-policy';
import { findRunc, runc, runcDeleteForce } from './runc';
import { parseSignal } from './signals';
import { copyImageContentIntoVolume } from './volume-copy';

export interface ContainerLifecycleOptions {
  paths: DataPaths;
  volumes: VolumeStore;
  table: ContainerTable;
  networking: ContainerNetworking;
  health: ContainerHealth;
  hooks: EntryHooks;
  /** A container was removed: drop what else is kept about it (execs, stats). */
  onRemoved(e: Entry): void;
  log?: Logger;
}

export class ContainerLifecycle {
  /** Set by the daemon's shutdown: no more starts, restarts or auto-removes. */
  shuttingDown = false;
  private readonly log: Logger;

  constructor(private readonly o: ContainerLifecycleOptions) {
    this.log = o.log ?? silentLogger;
  }

  private get runcRoot(): string {
    return this.o.paths.runcRoot;
  }

  async start(e: Entry): Promise<void> {
    const rec = e.rec;
    await this.settleExit(e);
    if (e.removing) throw new ConflictError(`cannot start container ${rec.id}: removal in progress`);
    if (this.shuttingDown) throw new ConflictError(`cannot start container ${rec.id}: the daemon is shutting down`);
    if (e.proc) {
      if (rec.state.Paused) throw new ConflictError(`cannot start a paused container, try unpause instead`);
      throw new NotModifiedError('container already started');
    }
    findRunc();
    if (e.restartTimer) {
      clearTimeout(e.restartTimer);
      e.restartTimer = null;
    }
    try {
      for (const mp of rec.mounts) {
        if (mp.Type === 'volume' && !mp.Mode.split(',').includes('nocopy'))
          await copyImageContentIntoVolume(rec.layerDirs, mp.Destination, mp.Source);
      }
      await this.o.networking.setup(e);
      const spec = await containerSpec(this.o.paths, rec, e.dir);
      writeFileSync(join(e.dir, 'config.json'), JSON.stringify(spec));
      const logWriter = new JsonFileLogWriter(join(e.dir, `${rec.id}-json.log`));
      let proc: ContainerProcess;
      try {
        proc = await ContainerProcess.start({
          runcRoot: this.runcRoot,
          bundle: e.dir,
          id: rec.id,
          pidFile: join(e.dir, 'pid'),
          openStdin: rec.config.OpenStdin,
          onOutput: (c) => {
            logWriter.write(c.stream, c.data);
            e.output.emit('data', c);
          },
        });
      } catch (err) {
        await logWriter.close();
        throw err;
      }
      e.proc = proc;
      e.log = logWriter;
      const startedAt = new Date().toISOString();
      Object.assign(rec.state, {
        Status: 'running',
        Running: true,
        Paused: false,
        Restarting: false,
        Pid: proc.pid,
        ExitCode: 0,
        Error: '',
        StartedAt: startedAt,
        OOMKilled: false,
        Dead: false,
      });
      rec.runcPid = proc.runcPid;
      rec.manuallyStopped = false;
      for (const s of e.pendingStdin.splice(0)) proc.attachStdin(s, rec.config.StdinOnce);
      this.o.hooks.save(e);
      this.o.hooks.emit(e, 'start');
      this.o.health.start(e);
      e.runDone = proc.exited.then((code) => this.onExit(e, code));
    } catch (err) {
      await this.o.networking.teardown(rec);
      if (err instanceof StartFailure) {
        rec.state.Error = err.message;
        rec.state.ExitCode = err.exitCode;
        if (rec.state.StartedAt !== ZERO_TIME) rec.state.Status = 'exited';
        this.o.hooks.save(e);
        await runcDeleteForce(this.runcRoot, rec.id);
        const msg = `failed to create task for container: OCI runtime create failed: ${err.message}: unknown`;
        throw err.exitCode === 126 || err.exitCode === 127
          ? new InvalidArgumentError(msg, { cause: err })
          : new EngineError(msg, 500, { cause: err });
      }
      throw err;
    }
  }

  private async onExit(e: Entry, code: number): Promise<void> {
    const rec = e.rec;
    const ranFor = Date.now() - Date.parse(rec.state.StartedAt);
    this.o.health.stop(e);
    e.proc = null;
    const logWriter = e.log;
    e.log = null;
    // runc run removes its state and cgroups itself; only a runc that died abnormally leaves them.
    const leftover = existsSync(join(this.runcRoot, rec.id));
    await Promise.all([
      logWriter?.close(),
      this.o.networking.teardown(rec),
      leftover ? runcDeleteForce(this.runcRoot, rec.id) : undefined,
    ]);
    e.output.emit('end');
    const restart =
      !e.removing &&
      !this.shuttingDown &&
      shouldRestart(rec.hostConfig.RestartPolicy, code, rec.restartCount, rec.manuallyStopped);
    Object.assign(rec.state, {
      Status: restart ? 'restarting' : 'exited',
      Running: false,
      Paused: false,
      Restarting: restart,
      Pid: 0,
      ExitCode: code,
      FinishedAt: new Date().toISOString(),
    });
    rec.runcPid = 0;
    this.o.hooks.save(e);
    this.o.hooks.emit(e, 'die', { exitCode: String(code) });
    for (const l of [...e.exitListeners]) l();
    if (restart) {
      e.restartDelay = restartDelayMs(e.restartDelay, ranFor);
      e.restartTimer = setTimeout(() => {
        e.restartTimer = null;
        rec.restartCount++;
        void withLock(e, () => (e.proc || e.removing ? Promise.resolve() : this.start(e))).catch((err: unknown) => {
          this.log.warn({ err, id: rec.id }, 'restart failed');
          Object.assign(rec.state, { Status: 'exited', Restarting: false });
          this.o.hooks.save(e);
        });
      }, e.restartDelay);
    } else if (rec.hostConfig.AutoRemove && !e.removing && !this.shuttingDown) {
      setImmediate(
        () =>
          void withLock(e, () => this.remove(e, true)).catch((err: unknown) =>
            this.log.warn({ err, id: rec.id }, 'auto-remove failed'),
          ),
      );
    }
  }

  /** StopSignal (or `signalName`, or SIGTERM), `timeout` seconds (-1 = forever), then SIGKILL. */
  async stop(e: Entry, timeout: number | undefined, manual: boolean, signalName?: string): Promise<void> {
    const rec = e.rec;
    await this.settleExit(e);
    if (manual) rec.manuallyStopped = true;
    if (!e.proc) {
      if (e.restartTimer) {
        clearTimeout(e.restartTimer);
        e.restartTimer = null;
        Object.assign(rec.state, { Status: 'exited', Restarting: false });
        this.o.hooks.save(e);
        return;
      }
      throw new NotModifiedError('container already stopped');
    }
    const proc = e.proc;
    const done = e.runDone;
    if (rec.state.Paused) await runc(this.runcRoot, ['resume', rec.id]);
    const sig = parseSignal(signalName || rec.config.StopSignal, 'SIGTERM');
    const t = timeout ?? rec.config.StopTimeout ?? 10;
    signalProcess(proc.pid, sig);
    if (t >= 0) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        proc.exited.then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), t * 1000))),
      ]);
      clearTimeout(timer);
      if (timedOut) signalProcess(proc.pid, 'SIGKILL');
    }
    await proc.exited;
    await done;
    this.o.hooks.emit(e, 'stop');
  }

  /** When the process has ended but its exit is still being recorded, wait for that first. */
  private async settleExit(e: Entry): Promise<void> {
    if (!e.proc && e.runDone) await e.runDone;
  }

  /** Resolves at `condition` (default not-running: at once when the container does not run). */
  wait(e: Entry, opts: { condition?: WaitCondition; signal?: AbortSignal } = {}): Promise<WaitResult> {
    const condition = opts.condition ?? 'not-running';
    const result = (): WaitResult => ({ StatusCode: e.rec.state.ExitCode, Error: null });
    // The recorded state, not the process handle: between the process's end and onExit's state
    // update the exit code is not known yet.
    const notRunning = () => !['running', 'paused', 'restarting'].includes(e.rec.state.Status);
    if (condition === 'not-running' && notRunning()) return Promise.resolve(result());
    return new Promise<WaitResult>((resolve, reject) => {
      const set = condition === 'removed' ? e.removedListeners : e.exitListeners;
      const listener = () => {
        if (condition === 'not-running' && !notRunning()) return;
        cleanup();
        resolve(result());
      };
      const onAbort = () => {
        cleanup();
        reject(opts.signal?.reason ?? new Error('aborted'));
      };
      const cleanup = () => {
        set.delete(listener);
        opts.signal?.removeEventListener('abort', onAbort);
      };
      set.add(listener);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async remove(e: Entry, force: boolean, removeVolumes = e.rec.hostConfig.AutoRemove): Promise<void> {
    const rec = e.rec;
    await this.settleExit(e);
    if (!this.o.table.has(rec.id) || e.removing) return;
    if (e.proc || e.restartTimer) {
      if (!force) {
        const what = e.restartTimer ? 'restarting' : rec.state.Paused ? 'paused' : 'running';
        throw new ConflictError(
          `You cannot remove a ${what} container ${rec.id}. Stop the container before attempting removal or force remove`,
        );
      }
      e.removing = true;
      if (e.restartTimer) clearTimeout(e.restartTimer);
      e.restartTimer = null;
      if (e.proc) {
        if (rec.state.Paused) await runc(this.runcRoot, ['resume', rec.id]);
        const done = e.runDone;
        signalProcess(e.proc.pid, 'SIGKILL');
        await e.proc.exited;
        await done;
      }
    }
    e.removing = true;
    // Not persisted: a crash during the rm leaves a directory without a record, which init removes.
    rec.state.Status = 'removing';
    this.o.table.unregister(rec);
    this.o.onRemoved(e);
    // Renamed away at once, deleted in the background: a big upper dir must not delay the caller.
    const trash = join(this.o.paths.tmp, `removed-${rec.id}`);
    try {
      renameSync(e.dir, trash);
      void rm(trash, { recursive: true, force: true }).catch((err: unknown) =>
        this.log.warn({ err, id: rec.id }, 'deleting container files failed'),
      );
    } catch {
      await rm(e.dir, { recursive: true, force: true });
    }
    if (removeVolumes) {
      for (const m of rec.mounts) {
        if (m.Type === 'volume' && m.Name && /^[0-9a-f]{64}$/.test(m.Name))
          await this.o.volumes.remove(m.Name, { force: true }).catch(() => undefined);
      }
    }
    this.o.hooks.emit(e, 'destroy');
    for (const l of [...e.removedListeners]) l();
  }
}

export function signalProcess(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // exited meanwhile
  }
}
