// The container manager: Docker's container lifecycle over runc. Each started container is one
// foreground `runc run` child of the daemon (see container-process.ts); its records live on disk
// so a restarted daemon can tell the truth about, and clean up after, what ran before.
// This class is the API and the wiring; each concern is a collaborator beside it.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ConflictError, InvalidArgumentError } from '../errors';
import type { ImageProvider } from '../images/types';
import { type Logger, silentLogger } from '../log';
import type { NetworkService } from '../network/types';
import type { DataPaths } from '../paths';
import type { VolumeStore } from '../volumes/volume-store';
import { ContainerFactory } from './container-create';
import { type Entry, withLock } from './container-entry';
import { containerEvent, type ContainerEvent } from './container-events';
import { ContainerExecs } from './container-exec';
import { exportRootfs } from './container-export';
import { filterContainers, type ListOptions } from './container-filter';
import { ContainerHealth } from './container-health';
import { ContainerLifecycle, signalProcess } from './container-lifecycle';
import { settleWithin } from './settle';
import { attachOutput, containerLogs } from './container-logs';
import { ContainerNetworking } from './container-network';
import { ContainerRecovery } from './container-recovery';
import { ContainerStatsSampler } from './container-stats';
import { saveRecord } from './container-store';
import { ContainerTable } from './container-table';
import type {
  ContainerCreateRequest,
  ContainerInspect,
  ContainerRecord,
  ContainerSummary,
  LogEntry,
  LogsOptions,
  OutputChunk,
  WaitCondition,
  WaitResult,
} from './container-types';
import { inspectView, summaryView } from './container-views';
import type { ExecCreateRequest, ExecInspect } from './exec';
import { randomName, validateContainerName } from './names';
import { runc } from './runc';
import { runcStateError } from './runc-errors';
import { parseSignal } from './signals';
import type { ContainerStats } from './stats';
import { containerTop, type TopResult } from './top';

/** How long a SIGKILL waits for the exit to be recorded before the kill call returns anyway. */
const KILL_WAIT_MS = 10_000;
export type { ContainerEvent } from './container-events';

export interface ContainerManagerOptions {
  paths: DataPaths;
  images: ImageProvider;
  volumes: VolumeStore;
  /** Needed for bridge and user networks; "host" and "none" work without it. */
  network?: NetworkService;
  /** Source of the containers' resolv.conf (default /etc/resolv.conf). */
  resolvConfPath?: string;
  log?: Logger;
}

export class ContainerManager {
  readonly events = new EventEmitter();
  private readonly log: Logger;
  private readonly table: ContainerTable;
  private readonly networking: ContainerNetworking;
  private readonly factory: ContainerFactory;
  private readonly lifecycle: ContainerLifecycle;
  private readonly recovery: ContainerRecovery;
  private readonly execs: ContainerExecs;
  private readonly sampler: ContainerStatsSampler;

  constructor(private readonly o: ContainerManagerOptions) {
    this.events.setMaxListeners(0);
    const { paths, volumes } = o;
    this.log = o.log ?? silentLogger;
    const hooks = { save: (e: Entry) => this.save(e), emit: this.emit.bind(this) };
    this.table = new ContainerTable(paths.containers);
    this.networking = new ContainerNetworking({ network: o.network, resolvConfPath: o.resolvConfPath, log: this.log });
    this.factory = new ContainerFactory({ paths, images: o.images, volumes, networking: this.networking });
    this.execs = new ContainerExecs({
      runcRoot: paths.runcRoot,
      find: (ref) => this.table.find(ref),
      emit: hooks.emit,
    });
    this.sampler = new ContainerStatsSampler(paths);
    this.lifecycle = new ContainerLifecycle({
      paths,
      volumes,
      table: this.table,
      networking: this.networking,
      health: new ContainerHealth(paths.runcRoot, hooks),
      hooks,
      onRemoved: (e) => {
        this.execs.forget(e);
        this.sampler.forget(e.rec.id);
      },
      log: this.log,
    });
    this.recovery = new ContainerRecovery({ paths, networking: this.networking, log: this.log });
  }

  private get paths(): DataPaths {
    return this.o.paths;
  }

  // ---------------------------------------------------------------- daemon start and shutdown

  /**
   * Load records and clean up after a previous daemon (see container-recovery.ts); then --rm and
   * restart policies apply.
   */
  async init(): Promise<void> {
    this.o.volumes.setUsers((name) => this.table.volumeUsers(name));
    const { toRemove, toRestart } = await this.recovery.recover({
      register: (rec) => this.table.register(rec),
      save: (e) => this.save(e),
      hasProcess: (id) => !!this.table.byExactId(id)?.proc,
    });
    for (const e of toRemove)
      await this.lifecycle
        .remove(e, true)
        .catch((err: unknown) => this.log.warn({ err, id: e.rec.id }, 'auto-remove after restart failed'));
    for (const e of toRestart) {
      void this.start(e.rec.id).catch((err: unknown) =>
        this.log.warn({ err, id: e.rec.id }, 'restart after daemon restart failed'),
      );
    }
  }

  /** Daemon shutdown: stop running containers (with their grace periods), keep records. */
  async shutdown(): Promise<void> {
    this.lifecycle.shuttingDown = true;
    await Promise.all(
      [...this.table.entries()].map(async (e) => {
        if (e.restartTimer) clearTimeout(e.restartTimer);
        e.restartTimer = null;
        // Under the entry's lock: a start still in flight has no process yet, and would outlive
        // the daemon if shutdown only looked at e.proc now.
        await withLock(e, async () => {
          if (e.proc) await this.lifecycle.stop(e, undefined, false);
        }).catch(() => undefined);
      }),
    );
  }

  // ---------------------------------------------------------------- records and events

  /** The persisted record (read-only view for the API: ports, names, state). */
  get(ref: string): ContainerRecord {
    return this.table.find(ref).rec;
  }

  private save(e: Entry): void {
    if (e.removing && !this.table.has(e.rec.id)) return;
    try {
      saveRecord(e.dir, e.rec);
    } catch (err) {
      this.log.warn({ err, id: e.rec.id }, 'saving container record failed');
    }
  }

  private emit(e: Entry, action: string, extra: Record<string, string> = {}): void {
    this.events.emit('event', containerEvent(e.rec, action, extra) satisfies ContainerEvent);
  }

  // ---------------------------------------------------------------- create

  /** POST /containers/create. Returns Docker's `{Id, Warnings}`. */
  async create(
    req: ContainerCreateRequest,
    opts: { name?: string; signal?: AbortSignal } = {},
  ): Promise<{ Id: string; Warnings: string[] }> {
    if (!req || typeof req.Image !== 'string' || !req.Image)
      throw new InvalidArgumentError('Config cannot be empty in order to create a container');
    const id = randomBytes(32).toString('hex');
    let name: string;
    if (opts.name) {
      name = validateContainerName(opts.name);
      this.table.checkNameFree(name);
    } else {
      name = randomName();
      for (let i = 1; this.table.nameTaken(name); i++) name = randomName(i);
    }
    // Reserve the name while the image is resolved.
    this.table.reserveName(name, id);
    try {
      const rec = await this.factory.make(id, name, req, opts.signal);
      const entry = this.table.register(rec);
      this.emit(entry, 'create');
      return { Id: id, Warnings: [] };
    } catch (err) {
      this.table.releaseReservation(name, id);
      await rm(join(this.paths.containers, id), { recursive: true, force: true });
      throw err;
    }
  }

  // ---------------------------------------------------------------- start / stop / kill / restart / pause

  /** POST /containers/{id}/start. 304 (NotModifiedError) when already running. */
  async start(ref: string): Promise<void> {
    const e = this.table.find(ref);
    return withLock(e, async () => {
      // A user's start begins a new restart history (docker resets RestartCount the same way).
      if (!e.proc) {
        e.rec.restartCount = 0;
        e.restartDelay = 0;
      }
      await this.lifecycle.start(e);
    });
  }

  /** POST /containers/{id}/stop: StopSignal (or SIGTERM), `timeout` seconds (default 10, -1 = forever), then SIGKILL. */
  async stop(ref: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    const e = this.table.find(ref);
    return withLock(e, () => this.lifecycle.stop(e, opts.timeout, true, opts.signal));
  }

  /** POST /containers/{id}/kill (default SIGKILL). 409 when not running. */
  async kill(ref: string, opts: { signal?: string } = {}): Promise<void> {
    const e = this.table.find(ref);
    const sig = parseSignal(opts.signal, 'SIGKILL');
    if (!e.proc) throw new ConflictError(`Cannot kill container: ${ref}: Container ${e.rec.id} is not running`);
    if (!this.lifecycle.shuttingDown) e.rec.manuallyStopped = true;
    const done = e.runDone;
    signalProcess(e.proc.pid, sig);
    this.emit(e, 'kill', { signal: String(sig) });
    // Like dockerd: a SIGKILL returns once the exit is recorded (an inspect right after shows
    // Running false); any other signal returns at once, the process may well ignore it.
    if (sig === 'SIGKILL' && done) await settleWithin(done, KILL_WAIT_MS);
  }

  /** GET /containers/{id}/export: a tar of the container's filesystem (running or not). */
  async export(ref: string): Promise<Readable> {
    const e = this.table.find(ref);
    return exportRootfs(e.rec.layerDirs, join(e.dir, 'upper'), e.dir);
  }

  /** POST /containers/{id}/restart. */
  async restart(ref: string, opts: { timeout?: number } = {}): Promise<void> {
    const e = this.table.find(ref);
    return withLock(e, async () => {
      if (e.proc) await this.lifecycle.stop(e, opts.timeout, true);
      else if (e.restartTimer) {
        clearTimeout(e.restartTimer);
        e.restartTimer = null;
      }
      await this.lifecycle.start(e);
      this.emit(e, 'restart');
    });
  }

  async pause(ref: string): Promise<void> {
    const e = this.table.find(ref);
    return withLock(e, async () => {
      if (!e.proc) throw new ConflictError(`Container ${e.rec.id} is not running`);
      if (e.rec.state.Paused) throw new ConflictError(`Container ${e.rec.id} is already paused`);
      const r = await runc(this.paths.runcRoot, ['pause', e.rec.id]);
      if (r.code !== 0) throw runcStateError(e.rec.id, 'pause', r.stderr);
      Object.assign(e.rec.state, { Status: 'paused', Paused: true });
      this.save(e);
      this.emit(e, 'pause');
    });
  }

  async unpause(ref: string): Promise<void> {
    const e = this.table.find(ref);
    return withLock(e, async () => {
      if (!e.rec.state.Paused) throw new ConflictError(`Container ${e.rec.id} is not paused`);
      const r = await runc(this.paths.runcRoot, ['resume', e.rec.id]);
      if (r.code !== 0) throw runcStateError(e.rec.id, 'unpause', r.stderr);
      Object.assign(e.rec.state, { Status: 'running', Paused: false });
      this.save(e);
      this.emit(e, 'unpause');
    });
  }

  // ---------------------------------------------------------------- wait / remove

  /** POST /containers/{id}/wait. */
  async wait(ref: string, opts: { condition?: WaitCondition; signal?: AbortSignal } = {}): Promise<WaitResult> {
    return this.lifecycle.wait(this.table.find(ref), opts);
  }

  /** DELETE /containers/{id}. 409 for a running container without force. */
  async remove(ref: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    const e = this.table.find(ref);
    return withLock(e, () => this.lifecycle.remove(e, !!opts.force, !!opts.volumes));
  }

  // ---------------------------------------------------------------- views

  /** GET /containers/json. `all` includes stopped containers (docker ps -a). */
  list(opts: ListOptions = {}): ContainerSummary[] {
    const now = Date.now();
    const recs = [...this.table.entries()].map((e) => e.rec);
    return filterContainers(recs, opts).map((r) => summaryView(r, now));
  }

  /** Counts for GET /info. */
  counts(): { total: number; running: number; paused: number; stopped: number } {
    let running = 0;
    let paused = 0;
    for (const e of this.table.entries()) {
      if (e.rec.state.Status === 'paused') paused++;
      else if (e.proc) running++;
    }
    const total = this.table.size;
    return { total, running, paused, stopped: total - running - paused };
  }

  /** IDs of containers created from an image (image rm refuses them without force, like docker). */
  containersUsingImage(imageId: string): string[] {
    return [...this.table.entries()].filter((e) => e.rec.imageId === imageId).map((e) => e.rec.id);
  }

  /** POST /containers/{id}/rename. */
  async rename(ref: string, newName: string): Promise<void> {
    const e = this.table.find(ref);
    const name = validateContainerName(newName);
    if (name === e.rec.name)
      throw new InvalidArgumentError(`Renaming a container with the same name as its current name`);
    this.table.checkNameFree(name);
    const old = e.rec.name;
    this.table.rename(e, name);
    this.save(e);
    this.emit(e, 'rename', { oldName: `/${old}` });
  }

  /** GET /containers/{id}/json. */
  inspect(ref: string): ContainerInspect {
    const e = this.table.find(ref);
    return inspectView(e.rec, e.dir, [...e.execIds]);
  }

  /** GET /containers/{id}/logs as entries; the API frames them (muxFrame / formatLogEntry). */
  async logs(ref: string, opts: LogsOptions = {}): Promise<AsyncIterable<LogEntry>> {
    return containerLogs(this.table.find(ref), opts);
  }

  /**
   * POST /containers/{id}/attach: live output of the current (or, for a created container, the
   * next) run, ending when it exits; `stdin` is piped into a container created with OpenStdin.
   */
  async attach(
    ref: string,
    opts: { stdin?: Readable; stdout?: boolean; stderr?: boolean; signal?: AbortSignal } = {},
  ): Promise<{ output: AsyncIterable<OutputChunk> }> {
    return { output: attachOutput(this.table.find(ref), opts) };
  }

  /** GET /containers/{id}/top. */
  async top(ref: string): Promise<TopResult> {
    const e = this.table.find(ref);
    if (!e.proc) throw new ConflictError(`Container ${e.rec.id} is not running`);
    return containerTop(this.paths, e.rec.id);
  }

  /**
   * GET /containers/{id}/stats?stream=false. Without `oneShot`, takes a second sample after
   * `intervalMs` (default 1 s) so precpu_stats allow a CPU percentage, like docker.
   */
  async stats(
    ref: string,
    opts: { oneShot?: boolean; intervalMs?: number; signal?: AbortSignal } = {},
  ): Promise<ContainerStats> {
    return this.sampler.sample(this.table.find(ref), opts);
  }

  // ---------------------------------------------------------------- exec (see container-exec.ts)

  /** POST /containers/{id}/exec. 409 when the container is not running. */
  execCreate(ref: string, req: ExecCreateRequest): { Id: string } {
    return this.execs.create(ref, req);
  }

  /** POST /exec/{id}/start: output chunks as they come, and the exit code. */
  async execStart(
    execId: string,
    opts: { stdin?: Readable; signal?: AbortSignal } = {},
  ): Promise<{ output: AsyncIterable<OutputChunk>; exitCode: Promise<number> }> {
    return this.execs.start(execId, opts);
  }

  /** GET /exec/{id}/json. */
  execInspect(execId: string): ExecInspect {
    return this.execs.inspect(execId);
  }
}
