// The container manager: Docker's container lifecycle over runc. Each started container is one
// foreground `runc run` child of the daemon (see container-process.ts); its records live on disk
// so a restarted daemon can tell the truth about, and clean up after, what ran before.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ConflictError, EngineError, InvalidArgumentError, NotFoundError, NotModifiedError } from '../errors';
import { runcStateError } from './runc-errors';
import type { ImageProvider } from '../images/types';
import { componentLogger } from '../log';
import type { NetworkService } from '../network/types';
import type { DataPaths } from '../paths';
import type { VolumeStore } from '../volumes/volume-store';
import { AsyncQueue } from './async-queue';
import { containerCgroupsPath, leakedCgroups, removeContainerCgroups } from './cgroups';
import { commandOf, mergeConfig, mountPointOf, planMounts, portRequests } from './container-config';
import { ContainerProcess, StartFailure } from './container-process';
import { loadRecords, saveRecord } from './container-store';
import type {
  ContainerCreateRequest,
  ContainerInspect,
  ContainerRecord,
  ContainerSummary,
  LogEntry,
  LogsOptions,
  MountPoint,
  OutputChunk,
  WaitCondition,
  WaitResult,
} from './container-types';
import { initialState, inspectView, summaryView, ZERO_TIME } from './container-views';
import { applyDnsOverrides, containerResolvConf, embeddedDnsResolvConf, hostsFile } from './etc-files';
import { runExec, type ExecCreateRequest, type ExecInspect } from './exec';
import { healthPlan } from './health';
import { HealthMonitor } from './health-monitor';
import { hostNofileLimit } from './host-limits';
import { JsonFileLogWriter, readLogs } from './log-file';
import { randomName, validateContainerName } from './names';
import { buildOciSpec, capabilitySet, type BindMount } from './oci-spec';
import { restartDelayMs, shouldRestart, validateRestartPolicy } from './restart-policy';
import { findRunc, runc, runcDeleteForce } from './runc';
import { parseSignal } from './signals';
import { sampleStats, type ContainerStats } from './stats';
import { containerTop, type TopResult } from './top';
import { resolveUser } from './user';
import { copyImageContentIntoVolume } from './volume-copy';
import { validateResources } from './units';

const log = componentLogger('containers');

export interface ContainerManagerOptions {
  paths: DataPaths;
  images: ImageProvider;
  volumes: VolumeStore;
  /** Needed for bridge and user networks; "host" and "none" work without it. */
  network?: NetworkService;
  /** Source of the containers' resolv.conf (default /etc/resolv.conf). */
  resolvConfPath?: string;
}

/** Docker's /events message for containers. */
export interface ContainerEvent {
  Type: 'container';
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  time: number;
  timeNano: number;
}

interface Entry {
  rec: ContainerRecord;
  dir: string;
  proc: ContainerProcess | null;
  log: JsonFileLogWriter | null;
  /** Raw output of the current run for attach clients: 'data' OutputChunk, 'end' at exit. */
  output: EventEmitter;
  pendingStdin: Readable[];
  lock: Promise<unknown>;
  restartTimer: NodeJS.Timeout | null;
  restartDelay: number;
  /** Resolves when the current run's exit has been fully processed. */
  runDone: Promise<void> | null;
  exitListeners: Set<() => void>;
  removedListeners: Set<() => void>;
  removing: boolean;
  execIds: Set<string>;
  health: HealthMonitor | null;
}

interface ExecEntry {
  inspect: ExecInspect;
  req: ExecCreateRequest;
}

const NETWORK_LESS = new Set(['host', 'none']);

export class ContainerManager {
  readonly events = new EventEmitter();
  private readonly byId = new Map<string, Entry>();
  private readonly byName = new Map<string, string>();
  private readonly execs = new Map<string, ExecEntry>();
  private readonly lastCpu = new Map<string, { time: string; cpu: ContainerStats['cpu_stats'] }>();
  private shuttingDown = false;

  constructor(private readonly o: ContainerManagerOptions) {
    this.events.setMaxListeners(0);
  }

  private get paths(): DataPaths {
    return this.o.paths;
  }

  // ---------------------------------------------------------------- recovery

  /**
   * Load records and clean up after a previous daemon: containers it ran lost their stdio with it,
   * so they are killed (`runc delete --force`), their sandboxes and cgroups removed, and recorded as
   * exited (like dockerd without live-restore); then restart policies apply.
   */
  async init(): Promise<void> {
    // Without runc nothing can have run: records load, and `start` explains what to install.
    let haveRunc = true;
    try {
      findRunc();
    } catch {
      haveRunc = false;
      log.warn('runc not found: apt-get install runc');
    }
    await Promise.all([
      mkdir(this.paths.containers, { recursive: true }),
      mkdir(this.paths.runcRoot, { recursive: true }),
      mkdir(this.paths.tmp, { recursive: true }),
    ]);
    this.o.volumes.setUsers((name) => this.volumeUsers(name));
    const { records, orphans } = await loadRecords(this.paths.containers);
    await Promise.all(orphans.map((o) => rm(join(this.paths.containers, o), { recursive: true, force: true })));
    if (!haveRunc) {
      for (const rec of records) this.register(rec);
      return;
    }
    const leftovers = new Set(await readdir(this.paths.runcRoot).catch(() => [] as string[]));
    const toRestart: Entry[] = [];
    const toRemove: Entry[] = [];
    for (const rec of records) {
      const entry = this.register(rec);
      const wasActive = ['running', 'paused', 'restarting', 'removing'].includes(rec.state.Status);
      if (wasActive || leftovers.has(rec.id)) {
        await this.cleanupDeadRun(rec);
        leftovers.delete(rec.id);
        if (rec.state.Status === 'removing') {
          toRemove.push(entry);
          continue;
        }
        if (rec.state.Status === 'running' || rec.state.Status === 'paused') {
          rec.state.ExitCode = 255;
          rec.state.FinishedAt = new Date().toISOString();
        }
        Object.assign(rec.state, { Status: 'exited', Running: false, Paused: false, Restarting: false, Pid: 0 });
        this.save(entry);
        if (rec.hostConfig.AutoRemove) {
          toRemove.push(entry);
          continue;
        }
      }
      // Like dockerd at start: every container that has run and whose policy says so (stopped by the
      // last daemon's shutdown or crash, not by a user) is started again.
      if (
        rec.state.Status === 'exited' &&
        rec.state.StartedAt !== ZERO_TIME &&
        shouldRestart(rec.hostConfig.RestartPolicy, rec.state.ExitCode, rec.restartCount, rec.manuallyStopped)
      ) {
        toRestart.push(entry);
      }
    }
    // runc state without a record: throwaway build containers or a crash inside create/remove.
    for (const id of leftovers) {
      await runcDeleteForce(this.paths.runcRoot, id);
      await removeContainerCgroups(this.paths, id);
    }
    for (const name of await readdir(this.paths.tmp).catch(() => [] as string[])) {
      if (name.startsWith('build-') || name.startsWith('removed-'))
        await rm(join(this.paths.tmp, name), { recursive: true, force: true });
    }
    for (const cg of await leakedCgroups(this.paths)) {
      const id = cg.slice(cg.indexOf('/') + 1);
      if (!this.byId.get(id)?.proc) await removeContainerCgroups(this.paths, id);
    }
    for (const e of toRemove)
      await this.removeEntry(e, true).catch((err: unknown) =>
        log.warn({ err, id: e.rec.id }, 'auto-remove after restart failed'),
      );
    for (const e of toRestart) {
      void this.start(e.rec.id).catch((err: unknown) =>
        log.warn({ err, id: e.rec.id }, 'restart after daemon restart failed'),
      );
    }
  }

  private async cleanupDeadRun(rec: ContainerRecord): Promise<void> {
    // The old daemon's `runc run` may outlive it. It goes first: left alive, it would notice its
    // container die below and run its own clean-up, racing with a restart under the same ID.
    if (rec.runcPid > 0) {
      const cmd = await readFile(`/proc/${rec.runcPid}/cmdline`, 'utf8').catch(() => '');
      if (cmd.includes('runc') && cmd.includes(rec.id)) {
        try {
          process.kill(rec.runcPid, 'SIGKILL');
        } catch {
          // already gone
        }
        for (let i = 0; i < 100 && isLive(rec.runcPid); i++) await new Promise((r) => setTimeout(r, 10));
      }
    }
    await runcDeleteForce(this.paths.runcRoot, rec.id);
    await removeContainerCgroups(this.paths, rec.id);
    await this.teardownNetwork(rec);
    rec.runcPid = 0;
  }

  /** Daemon shutdown: stop running containers (with their grace periods), keep records. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    await Promise.all(
      [...this.byId.values()].map(async (e) => {
        if (e.restartTimer) clearTimeout(e.restartTimer);
        e.restartTimer = null;
        // Under the entry's lock: a start still in flight has no process yet, and would outlive
        // the daemon if shutdown only looked at e.proc now.
        await this.withLock(e, async () => {
          if (e.proc) await this.stopEntry(e, undefined, false);
        }).catch(() => undefined);
      }),
    );
  }

  // ---------------------------------------------------------------- lookup

  private register(rec: ContainerRecord): Entry {
    const entry: Entry = {
      rec,
      dir: join(this.paths.containers, rec.id),
      proc: null,
      log: null,
      output: new EventEmitter(),
      pendingStdin: [],
      lock: Promise.resolve(),
      restartTimer: null,
      restartDelay: 0,
      runDone: null,
      exitListeners: new Set(),
      removedListeners: new Set(),
      removing: false,
      execIds: new Set(),
      health: null,
    };
    entry.output.setMaxListeners(0);
    this.byId.set(rec.id, entry);
    this.byName.set(rec.name, rec.id);
    return entry;
  }

  private find(ref: string): Entry {
    const e = this.tryFind(ref);
    if (!e) throw new NotFoundError(`No such container: ${ref}`);
    return e;
  }

  private tryFind(ref: string): Entry | undefined {
    const byId = this.byId.get(ref);
    if (byId) return byId;
    const id = this.byName.get(ref.replace(/^\//, ''));
    if (id) return this.byId.get(id);
    if (/^[0-9a-f]+$/.test(ref)) {
      const matches = [...this.byId.keys()].filter((k) => k.startsWith(ref));
      if (matches.length === 1) return this.byId.get(matches[0]);
      if (matches.length > 1) throw new InvalidArgumentError(`Multiple IDs found with provided prefix: ${ref}`);
    }
    return undefined;
  }

  /** The persisted record (read-only view for the API: ports, names, state). */
  get(ref: string): ContainerRecord {
    return this.find(ref).rec;
  }

  private volumeUsers(name: string): string[] {
    const out: string[] = [];
    for (const e of this.byId.values())
      if (e.rec.mounts.some((m) => m.Type === 'volume' && m.Name === name)) out.push(e.rec.id);
    return out;
  }

  private withLock<T>(e: Entry, fn: () => Promise<T>): Promise<T> {
    const run = e.lock.then(fn, fn);
    e.lock = run.catch(() => undefined);
    return run;
  }

  private save(e: Entry): void {
    if (e.removing && !this.byId.has(e.rec.id)) return;
    try {
      saveRecord(e.dir, e.rec);
    } catch (err) {
      log.warn({ err, id: e.rec.id }, 'saving container record failed');
    }
  }

  private emit(e: Entry, action: string, extra: Record<string, string> = {}): void {
    const nanos = Date.now() * 1e6;
    this.events.emit('event', {
      Type: 'container',
      Action: action,
      Actor: {
        ID: e.rec.id,
        Attributes: { image: e.rec.config.Image, name: e.rec.name, ...e.rec.config.Labels, ...extra },
      },
      time: Math.floor(nanos / 1e9),
      timeNano: nanos,
    } satisfies ContainerEvent);
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
      const other = this.byName.get(name);
      if (other) {
        throw new ConflictError(
          `Conflict. The container name "/${name}" is already in use by container "${other}". You have to remove (or rename) that container to be able to reuse that name.`,
        );
      }
    } else {
      name = randomName();
      for (let i = 1; this.byName.has(name); i++) name = randomName(i);
    }
    // Reserve the name while the image is resolved.
    this.byName.set(name, id);
    try {
      const host = req.HostConfig ?? {};
      const restartPolicy = validateRestartPolicy(host.RestartPolicy, !!host.AutoRemove);
      validateResources({ ...host, PidsLimit: host.PidsLimit ?? undefined }, cpus().length);
      capabilitySet(host.CapAdd ?? [], host.CapDrop ?? [], !!host.Privileged);
      let networkMode = host.NetworkMode || 'default';
      if (networkMode === 'default') networkMode = 'bridge';
      if (networkMode.startsWith('container:'))
        throw new InvalidArgumentError('network mode "container:" is not supported');
      if (!NETWORK_LESS.has(networkMode)) {
        if (!this.o.network) throw new NotFoundError(`network ${networkMode} not found`);
        await this.o.network.inspect(networkMode);
      }
      const image = await this.o.images.resolve(req.Image);
      const layerDirs = await this.o.images.layerDirs(image);
      opts.signal?.throwIfAborted();
      const hostname = req.Hostname || (networkMode === 'host' ? osHostname() : id.slice(0, 12));
      const config = mergeConfig(req, image.config, hostname);
      const { path, args } = commandOf(config);
      const mounts = await this.resolveMounts(planMounts(host, config.Volumes));
      const endpointsConfig: ContainerRecord['endpointsConfig'] = {};
      for (const [net, ep] of Object.entries(req.NetworkingConfig?.EndpointsConfig ?? {})) {
        endpointsConfig[net] = {
          Aliases: ep?.Aliases ?? undefined,
          IPv4Address: ep?.IPAMConfig?.IPv4Address || undefined,
        };
      }
      const rec: ContainerRecord = {
        id,
        name,
        created: new Date().toISOString(),
        imageId: image.id,
        path,
        args,
        config,
        hostConfig: {
          ...host,
          NetworkMode: networkMode,
          RestartPolicy: restartPolicy,
          Binds: host.Binds ?? null,
          PortBindings: host.PortBindings ?? {},
          AutoRemove: !!host.AutoRemove,
          Memory: host.Memory ?? 0,
          MemorySwap: host.MemorySwap ?? 0,
          NanoCpus: host.NanoCpus ?? 0,
          CpuQuota: host.CpuQuota ?? 0,
          CpuPeriod: host.CpuPeriod ?? 0,
          PidsLimit: host.PidsLimit ?? null,
        },
        endpointsConfig,
        layerDirs,
        mounts,
        state: initialState(),
        restartCount: 0,
        manuallyStopped: false,
        endpoints: [],
        sandboxKey: '',
        ports: [],
        runcPid: 0,
      };
      const dir = join(this.paths.containers, id);
      // Small metadata writes, synchronously: microseconds each, where thread-pool round trips
      // cost milliseconds on a loaded host (this is the hot path of `docker run`).
      const hostResolv = this.hostResolvConf();
      mkdirSync(dir);
      for (const d of ['rootfs', 'upper', 'work']) mkdirSync(join(dir, d));
      writeFileSync(join(dir, 'hostname'), `${hostname}\n`);
      writeFileSync(join(dir, 'hosts'), hostsFile(hostname, undefined, [], host.ExtraHosts ?? []));
      writeFileSync(
        join(dir, 'resolv.conf'),
        applyDnsOverrides(containerResolvConf(hostResolv, networkMode === 'host'), {
          dns: host.Dns,
          search: host.DnsSearch,
          options: host.DnsOptions,
        }),
      );
      saveRecord(dir, rec);
      const entry = this.register(rec);
      this.emit(entry, 'create');
      return { Id: id, Warnings: [] };
    } catch (err) {
      if (this.byName.get(name) === id && !this.byId.has(id)) this.byName.delete(name);
      await rm(join(this.paths.containers, id), { recursive: true, force: true });
      throw err;
    }
  }

  private hostResolvConf(): string {
    try {
      return readFileSync(this.o.resolvConfPath ?? '/etc/resolv.conf', 'utf8');
    } catch {
      return ''; // no resolv.conf on the host: public fallback
    }
  }

  /**
   * On a user-defined network the nameserver is the network's embedded DNS while it runs (decided
   * at each start: the server may have failed to bind, or come up since the container was made).
   */
  private async writeNetworkResolvConf(e: Entry, net: NetworkService, mode: string): Promise<void> {
    const host = e.rec.hostConfig;
    const nameserver = net.dnsNameserver?.(mode);
    const hostResolv = this.hostResolvConf();
    const base = nameserver ? embeddedDnsResolvConf(hostResolv, nameserver) : containerResolvConf(hostResolv);
    // Docker: with the embedded DNS, --dns servers are where it forwards this container's unknown
    // names; the container keeps asking the embedded DNS (or it would lose its peers' names).
    if (nameserver) net.setDnsUpstreams?.(e.rec.id, host.Dns);
    const dns = nameserver ? undefined : host.Dns;
    await writeFile(
      join(e.dir, 'resolv.conf'),
      applyDnsOverrides(base, { dns, search: host.DnsSearch, options: host.DnsOptions }),
    );
  }

  private async resolveMounts(plans: ReturnType<typeof planMounts>): Promise<MountPoint[]> {
    const out: MountPoint[] = [];
    for (const p of plans) {
      if (p.type === 'bind') {
        // docker run -v creates a missing host directory; --mount refuses it. An existing file or
        // socket is bound as it is.
        if (p.mustExist) {
          if (!existsSync(p.source))
            throw new InvalidArgumentError(
              `invalid mount config for type "bind": bind source path does not exist: ${p.source}`,
            );
        } else {
          await mkdir(p.source, { recursive: true }).catch((e: NodeJS.ErrnoException) => {
            if (e.code !== 'EEXIST') throw e;
          });
        }
        out.push(mountPointOf(p, { source: p.source }));
      } else if (p.type === 'volume') {
        const v = await this.o.volumes.create(p.name ? { Name: p.name } : {});
        out.push(mountPointOf(p, { source: v.Mountpoint, name: v.Name }));
      } else {
        out.push(mountPointOf(p, { source: '' }));
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- start

  /** POST /containers/{id}/start. 304 (NotModifiedError) when already running. */
  async start(ref: string): Promise<void> {
    const e = this.find(ref);
    return this.withLock(e, async () => {
      // A user's start begins a new restart history (docker resets RestartCount the same way).
      if (!e.proc) {
        e.rec.restartCount = 0;
        e.restartDelay = 0;
      }
      await this.startEntry(e);
    });
  }

  private async startEntry(e: Entry): Promise<void> {
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
      await this.setupNetwork(e);
      const spec = await this.spec(e);
      writeFileSync(join(e.dir, 'config.json'), JSON.stringify(spec));
      const logWriter = new JsonFileLogWriter(join(e.dir, `${rec.id}-json.log`));
      let proc: ContainerProcess;
      try {
        proc = await ContainerProcess.start({
          runcRoot: this.paths.runcRoot,
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
      this.save(e);
      this.emit(e, 'start');
      this.startHealth(e);
      e.runDone = proc.exited.then((code) => this.onExit(e, code));
    } catch (err) {
      await this.teardownNetwork(rec);
      if (err instanceof StartFailure) {
        rec.state.Error = err.message;
        rec.state.ExitCode = err.exitCode;
        if (rec.state.StartedAt !== ZERO_TIME) rec.state.Status = 'exited';
        this.save(e);
        await runcDeleteForce(this.paths.runcRoot, rec.id);
        const msg = `failed to create task for container: OCI runtime create failed: ${err.message}: unknown`;
        throw err.exitCode === 126 || err.exitCode === 127
          ? new InvalidArgumentError(msg, { cause: err })
          : new EngineError(msg, 500, { cause: err });
      }
      throw err;
    }
  }

  private async spec(e: Entry) {
    const rec = e.rec;
    const user = await resolveUser(rec.config.User, [...rec.layerDirs, join(e.dir, 'upper')]);
    const env = [...rec.config.Env];
    if (!env.some((v) => v.startsWith('HOSTNAME='))) env.push(`HOSTNAME=${rec.config.Hostname}`);
    if (!env.some((v) => v.startsWith('HOME='))) env.push(`HOME=${user.home}`);
    const userDests = new Set(rec.mounts.map((m) => m.Destination));
    const binds: BindMount[] = [];
    for (const f of ['hostname', 'hosts', 'resolv.conf']) {
      if (!userDests.has(`/etc/${f}`))
        binds.push({ source: join(e.dir, f), destination: `/etc/${f}`, readonly: false });
    }
    // Parents before children, like docker (sorted by path depth).
    const sorted = [...rec.mounts].sort((a, b) => a.Destination.split('/').length - b.Destination.split('/').length);
    for (const m of sorted)
      if (m.Type !== 'tmpfs') binds.push({ source: m.Source, destination: m.Destination, readonly: !m.RW });
    const h = rec.hostConfig;
    const mode = h.NetworkMode;
    return buildOciSpec({
      args: [rec.path, ...rec.args],
      env,
      cwd: rec.config.WorkingDir || '/',
      uid: user.uid,
      gid: user.gid,
      additionalGids: user.additionalGids,
      hostname: rec.config.Hostname,
      layerDirs: rec.layerDirs.length ? rec.layerDirs : [join(e.dir, 'rootfs')],
      upperDir: join(e.dir, 'upper'),
      workDir: join(e.dir, 'work'),
      rootPath: join(e.dir, 'rootfs'),
      network:
        mode === 'host'
          ? { mode: 'host' }
          : mode === 'none' || !rec.sandboxKey
            ? { mode: 'none' }
            : { mode: 'path', path: rec.sandboxKey },
      cgroupsPath: containerCgroupsPath(this.paths, rec.id),
      binds,
      tmpfs: sorted
        .filter((m) => m.Type === 'tmpfs')
        .map((m) => ({ destination: m.Destination, options: (m.TmpfsOptions ?? '').split(',').filter(Boolean) })),
      memoryBytes: h.Memory || undefined,
      memorySwapBytes: h.MemorySwap || undefined,
      nanoCpus: h.NanoCpus || undefined,
      cpuQuota: h.CpuQuota || undefined,
      cpuPeriod: h.CpuPeriod || undefined,
      cpuShares: h.CpuShares || undefined,
      pidsLimit: h.PidsLimit && h.PidsLimit > 0 ? h.PidsLimit : undefined,
      nofile: hostNofileLimit(),
      capAdd: h.CapAdd ?? undefined,
      capDrop: h.CapDrop ?? undefined,
      privileged: !!h.Privileged,
      readonlyRootfs: !!h.ReadonlyRootfs,
      domainname: rec.config.Domainname || undefined,
    });
  }

  private async setupNetwork(e: Entry): Promise<void> {
    const rec = e.rec;
    const mode = rec.hostConfig.NetworkMode;
    if (NETWORK_LESS.has(mode)) return;
    const net = this.o.network;
    if (!net) throw new NotFoundError(`network ${mode} not found`);
    const ep = rec.endpointsConfig[mode] ?? {};
    const sandbox = await net.createSandbox(rec.id, rec.name, mode, { aliases: ep.Aliases, ip: ep.IPv4Address });
    rec.sandboxKey = sandbox.netnsPath ?? '';
    rec.endpoints = sandbox.endpoints;
    const ip = sandbox.endpoints[0]?.ipAddress;
    try {
      const ports = portRequests(rec.hostConfig, rec.config.ExposedPorts);
      rec.ports = ports.length && ip ? await net.publish(rec.id, ip, ports) : [];
      await writeFile(
        join(e.dir, 'hosts'),
        hostsFile(rec.config.Hostname, ip, ep.Aliases ?? [], rec.hostConfig.ExtraHosts ?? []),
      );
      // The default bridge keeps the host's resolv.conf written at create, as in docker.
      if (mode !== 'bridge') await this.writeNetworkResolvConf(e, net, mode);
    } catch (err) {
      await this.teardownNetwork(rec);
      throw err;
    }
  }

  private async teardownNetwork(rec: ContainerRecord): Promise<void> {
    const net = this.o.network;
    if (!net || NETWORK_LESS.has(rec.hostConfig.NetworkMode)) return;
    await net.unpublish(rec.id).catch((err: unknown) => log.warn({ err, id: rec.id }, 'unpublish failed'));
    await net
      .destroySandbox(rec.id)
      .catch((err: unknown) => log.warn({ err, id: rec.id }, 'destroying sandbox failed'));
    rec.sandboxKey = '';
    rec.endpoints = [];
    rec.ports = [];
  }

  private async onExit(e: Entry, code: number): Promise<void> {
    const rec = e.rec;
    const ranFor = Date.now() - Date.parse(rec.state.StartedAt);
    e.health?.stop();
    e.health = null;
    e.proc = null;
    const logWriter = e.log;
    e.log = null;
    // runc run removes its state and cgroups itself; only a runc that died abnormally leaves them.
    const leftover = existsSync(join(this.paths.runcRoot, rec.id));
    await Promise.all([
      logWriter?.close(),
      this.teardownNetwork(rec),
      leftover ? runcDeleteForce(this.paths.runcRoot, rec.id) : undefined,
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
    this.save(e);
    this.emit(e, 'die', { exitCode: String(code) });
    for (const l of [...e.exitListeners]) l();
    if (restart) {
      e.restartDelay = restartDelayMs(e.restartDelay, ranFor);
      e.restartTimer = setTimeout(() => {
        e.restartTimer = null;
        rec.restartCount++;
        void this.withLock(e, () => (e.proc || e.removing ? Promise.resolve() : this.startEntry(e))).catch(
          (err: unknown) => {
            log.warn({ err, id: rec.id }, 'restart failed');
            Object.assign(rec.state, { Status: 'exited', Restarting: false });
            this.save(e);
          },
        );
      }, e.restartDelay);
    } else if (rec.hostConfig.AutoRemove && !e.removing && !this.shuttingDown) {
      setImmediate(
        () =>
          void this.withLock(e, () => this.removeEntry(e, true)).catch((err: unknown) =>
            log.warn({ err, id: rec.id }, 'auto-remove failed'),
          ),
      );
    }
  }

  // ---------------------------------------------------------------- stop / kill / restart / pause

  /** POST /containers/{id}/stop: StopSignal (or SIGTERM), `timeout` seconds (default 10, -1 = forever), then SIGKILL. */
  async stop(ref: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    const e = this.find(ref);
    return this.withLock(e, () => this.stopEntry(e, opts.timeout, true, opts.signal));
  }

  private async stopEntry(e: Entry, timeout: number | undefined, manual: boolean, signalName?: string): Promise<void> {
    const rec = e.rec;
    await this.settleExit(e);
    if (manual) rec.manuallyStopped = true;
    if (!e.proc) {
      if (e.restartTimer) {
        clearTimeout(e.restartTimer);
        e.restartTimer = null;
        Object.assign(rec.state, { Status: 'exited', Restarting: false });
        this.save(e);
        return;
      }
      throw new NotModifiedError('container already stopped');
    }
    const proc = e.proc;
    const done = e.runDone;
    if (rec.state.Paused) await runc(this.paths.runcRoot, ['resume', rec.id]);
    const sig = parseSignal(signalName || rec.config.StopSignal, 'SIGTERM');
    const t = timeout ?? rec.config.StopTimeout ?? 10;
    this.signalProcess(proc.pid, sig);
    if (t >= 0) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        proc.exited.then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), t * 1000))),
      ]);
      clearTimeout(timer);
      if (timedOut) this.signalProcess(proc.pid, 'SIGKILL');
    }
    await proc.exited;
    await done;
    this.emit(e, 'stop');
  }

  /** When the process has ended but its exit is still being recorded, wait for that first. */
  private async settleExit(e: Entry): Promise<void> {
    if (!e.proc && e.runDone) await e.runDone;
  }

  private signalProcess(pid: number, sig: NodeJS.Signals): void {
    try {
      process.kill(pid, sig);
    } catch {
      // exited meanwhile
    }
  }

  /** POST /containers/{id}/kill (default SIGKILL). 409 when not running. */
  async kill(ref: string, opts: { signal?: string } = {}): Promise<void> {
    const e = this.find(ref);
    const sig = parseSignal(opts.signal, 'SIGKILL');
    if (!e.proc) throw new ConflictError(`Cannot kill container: ${ref}: Container ${e.rec.id} is not running`);
    if (!this.shuttingDown) e.rec.manuallyStopped = true;
    this.signalProcess(e.proc.pid, sig);
    this.emit(e, 'kill', { signal: String(sig) });
  }

  /** POST /containers/{id}/restart. */
  async restart(ref: string, opts: { timeout?: number } = {}): Promise<void> {
    const e = this.find(ref);
    return this.withLock(e, async () => {
      if (e.proc) await this.stopEntry(e, opts.timeout, true);
      else if (e.restartTimer) {
        clearTimeout(e.restartTimer);
        e.restartTimer = null;
      }
      await this.startEntry(e);
      this.emit(e, 'restart');
    });
  }

  async pause(ref: string): Promise<void> {
    const e = this.find(ref);
    return this.withLock(e, async () => {
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
    const e = this.find(ref);
    return this.withLock(e, async () => {
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
    const e = this.find(ref);
    const condition = opts.condition ?? 'not-running';
    const result = (): WaitResult => ({ StatusCode: e.rec.state.ExitCode, Error: null });
    // The recorded state, not the process handle: between the process's end and onExit's state
    // update the exit code is not known yet.
    const notRunning = () => !['running', 'paused', 'restarting'].includes(e.rec.state.Status);
    if (condition === 'not-running' && notRunning()) return result();
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

  /** DELETE /containers/{id}. 409 for a running container without force. */
  async remove(ref: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    const e = this.find(ref);
    return this.withLock(e, () => this.removeEntry(e, !!opts.force, !!opts.volumes));
  }

  private async removeEntry(e: Entry, force: boolean, removeVolumes = e.rec.hostConfig.AutoRemove): Promise<void> {
    const rec = e.rec;
    await this.settleExit(e);
    if (!this.byId.has(rec.id) || e.removing) return;
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
        if (rec.state.Paused) await runc(this.paths.runcRoot, ['resume', rec.id]);
        const done = e.runDone;
        this.signalProcess(e.proc.pid, 'SIGKILL');
        await e.proc.exited;
        await done;
      }
    }
    e.removing = true;
    // Not persisted: a crash during the rm leaves a directory without a record, which init removes.
    rec.state.Status = 'removing';
    this.byId.delete(rec.id);
    if (this.byName.get(rec.name) === rec.id) this.byName.delete(rec.name);
    for (const id of e.execIds) this.execs.delete(id);
    this.lastCpu.delete(rec.id);
    // Renamed away at once, deleted in the background: a big upper dir must not delay the caller.
    const trash = join(this.paths.tmp, `removed-${rec.id}`);
    try {
      renameSync(e.dir, trash);
      void rm(trash, { recursive: true, force: true }).catch((err: unknown) =>
        log.warn({ err, id: rec.id }, 'deleting container files failed'),
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
    this.emit(e, 'destroy');
    for (const l of [...e.removedListeners]) l();
  }

  // ---------------------------------------------------------------- views

  /** GET /containers/json. `all` includes stopped containers (docker ps -a). */
  list(opts: { all?: boolean; limit?: number; filters?: Record<string, string[]> } = {}): ContainerSummary[] {
    const now = Date.now();
    const f = opts.filters ?? {};
    let recs = [...this.byId.values()].map((e) => e.rec);
    if (!opts.all && !f.status?.length && !opts.limit)
      recs = recs.filter(
        (r) => r.state.Status === 'running' || r.state.Status === 'paused' || r.state.Status === 'restarting',
      );
    recs = recs.filter((r) => {
      if (f.status?.length && !f.status.includes(r.state.Status)) return false;
      if (f.name?.length && !f.name.some((n) => new RegExp(n.replace(/^\//, '')).test(r.name))) return false;
      if (f.id?.length && !f.id.some((i) => r.id.startsWith(i))) return false;
      if (f.exited?.length && !(r.state.Status === 'exited' && f.exited.includes(String(r.state.ExitCode))))
        return false;
      if (
        f.label?.length &&
        !f.label.every((l) =>
          l.includes('=')
            ? r.config.Labels[l.slice(0, l.indexOf('='))] === l.slice(l.indexOf('=') + 1)
            : l in r.config.Labels,
        )
      )
        return false;
      if (
        f.ancestor?.length &&
        !f.ancestor.some((a) => r.config.Image === a || r.imageId === a || r.imageId.startsWith(`sha256:${a}`))
      )
        return false;
      if (f.network?.length && !f.network.includes(r.hostConfig.NetworkMode)) return false;
      if (
        f.volume?.length &&
        !r.mounts.some((m) => f.volume.includes(m.Name ?? '') || f.volume.includes(m.Destination))
      )
        return false;
      return true;
    });
    recs.sort((a, b) => b.created.localeCompare(a.created));
    if (opts.limit && opts.limit > 0) recs = recs.slice(0, opts.limit);
    return recs.map((r) => summaryView(r, now));
  }

  /** Counts for GET /info. */
  counts(): { total: number; running: number; paused: number; stopped: number } {
    let running = 0;
    let paused = 0;
    for (const e of this.byId.values()) {
      if (e.rec.state.Status === 'paused') paused++;
      else if (e.proc) running++;
    }
    return { total: this.byId.size, running, paused, stopped: this.byId.size - running - paused };
  }

  /** IDs of containers created from an image (image rm refuses them without force, like docker). */
  containersUsingImage(imageId: string): string[] {
    return [...this.byId.values()].filter((e) => e.rec.imageId === imageId).map((e) => e.rec.id);
  }

  /** POST /containers/{id}/rename. */
  async rename(ref: string, newName: string): Promise<void> {
    const e = this.find(ref);
    const name = validateContainerName(newName);
    if (name === e.rec.name)
      throw new InvalidArgumentError(`Renaming a container with the same name as its current name`);
    const other = this.byName.get(name);
    if (other) {
      throw new ConflictError(
        `Conflict. The container name "/${name}" is already in use by container "${other}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
    const old = e.rec.name;
    this.byName.delete(old);
    this.byName.set(name, e.rec.id);
    e.rec.name = name;
    this.save(e);
    this.emit(e, 'rename', { oldName: `/${old}` });
  }

  /** GET /containers/{id}/json. */
  inspect(ref: string): ContainerInspect {
    const e = this.find(ref);
    return inspectView(e.rec, e.dir, [...e.execIds]);
  }

  /** GET /containers/{id}/logs as entries; the API frames them (muxFrame / formatLogEntry). */
  async logs(ref: string, opts: LogsOptions = {}): Promise<AsyncIterable<LogEntry>> {
    const e = this.find(ref);
    return readLogs(join(e.dir, `${e.rec.id}-json.log`), opts, e.log ?? undefined);
  }

  /**
   * POST /containers/{id}/attach: live output of the current (or, for a created container, the
   * next) run, ending when it exits; `stdin` is piped into a container created with OpenStdin.
   */
  async attach(
    ref: string,
    opts: { stdin?: Readable; stdout?: boolean; stderr?: boolean; signal?: AbortSignal } = {},
  ): Promise<{ output: AsyncIterable<OutputChunk> }> {
    const e = this.find(ref);
    const st = e.rec.state.Status;
    if (!e.proc && st !== 'created' && st !== 'restarting')
      throw new ConflictError('You cannot attach to a stopped container, start it first');
    const q = new AsyncQueue<OutputChunk>();
    const onData = (c: OutputChunk) => {
      if ((c.stream === 'stdout' && opts.stdout !== false) || (c.stream === 'stderr' && opts.stderr !== false))
        q.push(c);
    };
    const onEnd = () => finish();
    const finish = () => {
      e.output.off('data', onData);
      e.output.off('end', onEnd);
      opts.signal?.removeEventListener('abort', finish);
      q.end();
    };
    e.output.on('data', onData);
    e.output.on('end', onEnd);
    opts.signal?.addEventListener('abort', finish, { once: true });
    if (opts.stdin && e.rec.config.OpenStdin) {
      if (e.proc) e.proc.attachStdin(opts.stdin, e.rec.config.StdinOnce);
      else e.pendingStdin.push(opts.stdin);
    }
    return { output: q };
  }

  /** GET /containers/{id}/top. */
  async top(ref: string): Promise<TopResult> {
    const e = this.find(ref);
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
    const e = this.find(ref);
    const id = e.rec.id;
    let pre = this.lastCpu.get(id);
    if (!opts.oneShot && !pre && e.proc) {
      const first = await sampleStats(this.paths, id, e.rec.name);
      pre = { time: first.read, cpu: first.cpu_stats };
      await new Promise((r) => setTimeout(r, opts.intervalMs ?? 1000));
    }
    const s = await sampleStats(this.paths, id, e.rec.name, pre);
    if (e.proc) this.lastCpu.set(id, { time: s.read, cpu: s.cpu_stats });
    return s;
  }

  // ---------------------------------------------------------------- healthcheck

  /** Docker's healthcheck: probes via `runc exec` (not listed as execs), State.Health, health_status events. */
  private startHealth(e: Entry): void {
    const plan = healthPlan(e.rec.config.Healthcheck);
    if (!plan) {
      delete e.rec.state.Health;
      return;
    }
    const monitor = new HealthMonitor({
      plan,
      run: (argv, { signal }) => this.runProbe(e, argv, signal),
      onUpdate: (h, changed) => {
        if (e.health !== monitor) return;
        e.rec.state.Health = h;
        this.save(e);
        if (changed) this.emit(e, `health_status: ${h.Status}`);
      },
    });
    e.health = monitor;
    e.rec.state.Health = monitor.state;
    this.save(e);
    monitor.start();
  }

  private async runProbe(e: Entry, argv: string[], signal: AbortSignal): Promise<{ exitCode: number; output: string }> {
    const rec = e.rec;
    const user = await resolveUser(rec.config.User, [...rec.layerDirs, join(e.dir, 'upper')]);
    const env = [...rec.config.Env];
    if (!env.some((v) => v.startsWith('HOME='))) env.push(`HOME=${user.home}`);
    const r = runExec({
      runcRoot: this.paths.runcRoot,
      containerId: rec.id,
      args: argv,
      env,
      cwd: rec.config.WorkingDir || '/',
      uid: user.uid,
      gid: user.gid,
      additionalGids: user.additionalGids,
      signal,
    });
    const chunks: Buffer[] = [];
    for await (const c of r.output) chunks.push(c.data);
    return { exitCode: await r.exitCode, output: Buffer.concat(chunks).toString() };
  }

  // ---------------------------------------------------------------- exec

  /** POST /containers/{id}/exec. 409 when the container is not running. */
  execCreate(ref: string, req: ExecCreateRequest): { Id: string } {
    const e = this.find(ref);
    if (!e.proc) throw new ConflictError(`Container ${e.rec.id} is not running`);
    if (e.rec.state.Paused)
      throw new ConflictError(`Container ${e.rec.id} is paused, unpause the container before exec`);
    if (!Array.isArray(req.Cmd) || !req.Cmd.length) throw new InvalidArgumentError('No exec command specified');
    const id = randomBytes(32).toString('hex');
    this.execs.set(id, {
      req,
      inspect: {
        ID: id,
        ContainerID: e.rec.id,
        Running: false,
        ExitCode: null,
        Pid: 0,
        OpenStdin: !!req.AttachStdin,
        OpenStdout: req.AttachStdout !== false,
        OpenStderr: req.AttachStderr !== false,
        CanRemove: false,
        DetachKeys: req.DetachKeys ?? '',
        ProcessConfig: {
          tty: !!req.Tty,
          entrypoint: req.Cmd[0],
          arguments: req.Cmd.slice(1),
          privileged: !!req.Privileged,
          ...(req.User ? { user: req.User } : {}),
        },
      },
    });
    e.execIds.add(id);
    return { Id: id };
  }

  /** POST /exec/{id}/start: output chunks as they come, and the exit code. */
  async execStart(
    execId: string,
    opts: { stdin?: Readable; signal?: AbortSignal } = {},
  ): Promise<{ output: AsyncIterable<OutputChunk>; exitCode: Promise<number> }> {
    const x = this.execs.get(execId);
    if (!x) throw new NotFoundError(`No such exec instance: ${execId}`);
    if (x.inspect.Running || x.inspect.ExitCode !== null)
      throw new ConflictError(`Error: Exec command ${execId} has already run`);
    const e = this.find(x.inspect.ContainerID);
    if (!e.proc) throw new ConflictError(`Container ${e.rec.id} is not running`);
    const rec = e.rec;
    const user = await resolveUser(x.req.User || rec.config.User, [...rec.layerDirs, join(e.dir, 'upper')]);
    const env = [...rec.config.Env, ...(x.req.Env ?? [])];
    if (!env.some((v) => v.startsWith('HOME='))) env.push(`HOME=${user.home}`);
    x.inspect.Running = true;
    const r = runExec({
      runcRoot: this.paths.runcRoot,
      containerId: rec.id,
      args: x.req.Cmd,
      env,
      cwd: x.req.WorkingDir || rec.config.WorkingDir || '/',
      uid: user.uid,
      gid: user.gid,
      additionalGids: user.additionalGids,
      stdin: x.req.AttachStdin ? opts.stdin : undefined,
      signal: opts.signal,
      onPid: (pid) => (x.inspect.Pid = pid),
    });
    this.emit(e, `exec_start: ${x.req.Cmd.join(' ')}`, { execID: execId });
    const exitCode = r.exitCode.then((code) => {
      x.inspect.Running = false;
      x.inspect.ExitCode = code;
      this.emit(e, 'exec_die', { execID: execId, exitCode: String(code) });
      return code;
    });
    return { output: r.output, exitCode };
  }

  /** GET /exec/{id}/json. */
  execInspect(execId: string): ExecInspect {
    const x = this.execs.get(execId);
    if (!x) throw new NotFoundError(`No such exec instance: ${execId}`);
    return { ...x.inspect, ProcessConfig: { ...x.inspect.ProcessConfig } };
  }
}

/** Running or sleeping, not gone and not a zombie (an orphan's zombie waits for a reaper). */
function isLive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
