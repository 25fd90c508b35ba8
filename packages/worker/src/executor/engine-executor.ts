import type { ContainerManager, ImageStore, Logger, RegistryClient } from '@flotilla/engine-core';
import { NotFoundError } from '@flotilla/engine-core';
import type { Node, Task } from '@flotilla/manager';
import os from 'node:os';
import {
  TaskRejectedError,
  type ExitStatus,
  type Executor,
  type TaskController,
  type TaskEndpoint,
} from '../agent/executor';
import type { DependencyGetter } from '../agent/dependencies';
import { hasTaskFiles, taskFiles } from '../secrets/placement';
import { TaskFileMounts, type FileMount } from '../secrets/task-mounts';
import { containerRequest, taskContainerName, TASK_LABELS } from './container-spec';
import { healthOutcome, UNHEALTHY_ERROR } from './health-gate';
import { ensureImage } from './image-source';

export interface EngineExecutorOptions {
  containers: ContainerManager;
  images: ImageStore;
  /** Registry fallback when the image is neither local nor on a peer. */
  registry?: RegistryClient;
  /**
   * Fetch an image this node lacks from other nodes (e.g. fetchImageFromPeers bound to the
   * swarm's node addresses and this node's certificate); throws NotFoundError when none has it.
   */
  fetchFromPeers?: (image: string, signal: AbortSignal) => Promise<unknown>;
  /** Service ID -> name, and swarm network ID -> the local network backing it on this node. */
  serviceName: (task: Task) => string;
  network: (task: Task) => Promise<{ name: string; aliases: string[] } | null>;
  engineVersion: string;
  hostname?: string;
  /**
   * Where task tmpfs for secrets and configs go (one per task below it), on the daemon's run
   * directory and named from its instance. Without it, a task with secrets or configs is rejected.
   */
  secretsDir?: string;
  log?: Logger;
}

/** What a task's controller gets from its executor beside the options. */
interface ControllerEnv {
  o: EngineExecutorOptions;
  mounts: TaskFileMounts | null;
  describe: () => Promise<Node['Description']>;
}

/** Runs swarm tasks as engine-core containers on this node. */
export class EngineExecutor implements Executor {
  private readonly mounts: TaskFileMounts | null;

  constructor(private readonly o: EngineExecutorOptions) {
    this.mounts = o.secretsDir ? new TaskFileMounts({ dir: o.secretsDir, log: o.log }) : null;
  }

  async describe(): Promise<Node['Description']> {
    return {
      Hostname: this.o.hostname ?? os.hostname(),
      Platform: { Architecture: os.arch() === 'x64' ? 'x86_64' : os.arch(), OS: 'linux' },
      Resources: { NanoCPUs: os.cpus().length * 1e9, MemoryBytes: os.totalmem() },
      Engine: { EngineVersion: this.o.engineVersion },
    };
  }

  controller(task: Task, deps?: DependencyGetter): TaskController {
    return new EngineController(task, { o: this.o, mounts: this.mounts, describe: () => this.describe() }, deps);
  }

  /** A crashed run's secret mounts: its containers are gone or adopted (they keep their own binds). */
  async init(): Promise<void> {
    await this.mounts?.unmountAll();
  }

  async close(): Promise<void> {
    await this.mounts?.unmountAll();
  }

  /** Containers this daemon holds for swarm tasks (after a restart: adopt or clean up). */
  async existingTaskIds(): Promise<string[]> {
    return this.o.containers
      .list({ all: true })
      .map((c) => c.Labels[TASK_LABELS.taskId])
      .filter((x): x is string => !!x);
  }
}

class EngineController implements TaskController {
  private containerId: string | null = null;
  private readonly o: EngineExecutorOptions;

  constructor(
    private readonly task: Task,
    private readonly env: ControllerEnv,
    private readonly deps?: DependencyGetter,
  ) {
    this.o = env.o;
  }

  /** The task's secrets and configs written to its tmpfs: the binds its container gets. */
  private async files(): Promise<FileMount[]> {
    if (!hasTaskFiles(this.task)) return [];
    if (!this.env.mounts || !this.deps)
      throw new TaskRejectedError('this node cannot mount secrets or configs: its executor has no secrets directory');
    const serviceName = this.o.serviceName(this.task);
    const desc = await this.env.describe();
    const files = taskFiles(this.task, this.deps, {
      serviceName,
      taskName: taskContainerName(this.task, serviceName),
      node: { hostname: desc.Hostname, platform: desc.Platform },
    });
    try {
      return await this.env.mounts.mount(this.task.ID, files);
    } catch (e) {
      throw new TaskRejectedError(`cannot mount the task's secrets and configs: ${(e as Error).message}`);
    }
  }

  /** The tmpfs goes when the container stops for good or is removed (swarm never restarts one). */
  private async releaseFiles(): Promise<void> {
    if (!this.env.mounts) return;
    await this.env.mounts
      .unmount(this.task.ID)
      .catch((e: Error) => this.o.log?.warn({ task: this.task.ID, err: e.message }, 'cannot unmount secrets'));
  }

  private existing(): string | null {
    const hit = this.o.containers.list({ all: true, filters: { label: [`${TASK_LABELS.taskId}=${this.task.ID}`] } })[0];
    return hit?.Id ?? null;
  }

  async prepare(signal: AbortSignal): Promise<void> {
    this.containerId = this.existing();
    // Created before an agent restart: its secrets' tmpfs went with the previous run.
    if (this.containerId) return void (await this.files().catch(() => undefined));
    const image = this.task.Spec.ContainerSpec.Image;
    const registry = this.o.registry;
    await ensureImage(
      image,
      {
        local: (ref) => this.o.images.resolve(ref),
        peers: this.o.fetchFromPeers,
        registry: registry && ((ref, sig) => registry.pull(ref, { signal: sig })),
      },
      signal,
    );
    const net = await this.o.network(this.task);
    const files = await this.files();
    const req = containerRequest(this.task, {
      serviceName: this.o.serviceName(this.task),
      network: net?.name ?? null,
      aliases: net?.aliases ?? [],
      files,
    });
    try {
      const { Id } = await this.o.containers.create(req, {
        name: taskContainerName(this.task, this.o.serviceName(this.task)),
        signal,
      });
      this.containerId = Id;
    } catch (e) {
      await this.releaseFiles();
      throw new TaskRejectedError((e as Error).message);
    }
  }

  async start(): Promise<{ containerId: string; pid?: number }> {
    const id = this.need();
    const state = this.o.containers.inspect(id).State;
    if (!state.Running) await this.o.containers.start(id);
    // swarmkit keeps a task with a healthcheck STARTING until its container is healthy.
    if ((await healthOutcome(this.o.containers, id, 'healthy')) === 'unhealthy') {
      await this.shutdown();
      throw new Error(UNHEALTHY_ERROR);
    }
    return { containerId: id, pid: this.o.containers.inspect(id).State.Pid };
  }

  async wait(): Promise<ExitStatus> {
    try {
      return await this.waitExit();
    } finally {
      await this.releaseFiles();
    }
  }

  private async waitExit(): Promise<ExitStatus> {
    const id = this.need();
    const watch = new AbortController();
    const health = healthOutcome(this.o.containers, id, 'unhealthy', { signal: watch.signal });
    const exited = this.o.containers.wait(id, { condition: 'not-running' });
    const first = await Promise.race([health, exited.then(() => 'exited' as const)]);
    watch.abort();
    if (first === 'unhealthy') {
      // Stopped here so the restart policy's replacement does not run beside it.
      await this.shutdown();
      const r = await exited;
      return { exitCode: r.StatusCode, error: UNHEALTHY_ERROR };
    }
    const r = await exited;
    const oom = this.o.containers.inspect(this.need()).State.OOMKilled;
    return { exitCode: r.StatusCode, ...(oom ? { error: 'task: non-zero exit (137): OOM killed' } : {}) };
  }

  async shutdown(): Promise<void> {
    const id = this.containerId ?? this.existing();
    if (!id) return;
    const grace = this.task.Spec.ContainerSpec.StopGracePeriod;
    await this.o.containers
      .stop(id, grace === undefined ? {} : { timeout: Math.ceil(grace / 1e9) })
      .catch((e: Error) => {
        if (!/is not running|not running/.test(e.message)) throw e;
      });
  }

  async remove(): Promise<void> {
    const id = this.containerId ?? this.existing();
    if (id)
      await this.o.containers.remove(id, { force: true }).catch((e: Error) => {
        if (!(e instanceof NotFoundError)) throw e;
      });
    await this.releaseFiles();
  }

  async adopt(): Promise<{ containerId: string; running: boolean; exitCode: number } | null> {
    const id = this.existing();
    if (!id) return null;
    this.containerId = id;
    const st = this.o.containers.inspect(id).State;
    return { containerId: id, running: st.Running, exitCode: st.ExitCode };
  }

  endpoint(): TaskEndpoint | null {
    if (!this.containerId) return null;
    const inspect = this.o.containers.inspect(this.containerId);
    const ns = inspect.NetworkSettings;
    const ip = ns.IPAddress || Object.values(ns.Networks)[0]?.IPAddress;
    // A host-mode port published as 0 got a free port from the engine: report the one it got.
    const hostPorts = (this.task.Endpoint?.Spec?.Ports ?? [])
      .filter((p) => p.PublishMode === 'host')
      .map((p) => ({
        Protocol: p.Protocol,
        TargetPort: p.TargetPort,
        PublishedPort: Number(ns.Ports[`${p.TargetPort}/${p.Protocol}`]?.[0]?.HostPort ?? p.PublishedPort ?? 0),
        PublishMode: 'host' as const,
      }));
    const exposedPorts = tcpPorts(inspect.Config.ExposedPorts);
    if (!ip && !hostPorts.length) return null;
    return {
      address: ip ?? '',
      ...(hostPorts.length ? { hostPorts } : {}),
      ...(exposedPorts.length ? { exposedPorts } : {}),
    };
  }

  private need(): string {
    if (!this.containerId) throw new Error(`task ${this.task.ID} has no container yet`);
    return this.containerId;
  }
}

/** Pure: the TCP port numbers of a container's ExposedPorts ("6379/tcp", "53/udp", "80"). */
export function tcpPorts(exposed: Record<string, object> | null | undefined): number[] {
  const out: number[] = [];
  for (const key of Object.keys(exposed ?? {})) {
    const [port, proto = 'tcp'] = key.split('/');
    const n = Number(port);
    if (proto === 'tcp' && Number.isInteger(n) && n > 0 && n < 65536 && !out.includes(n)) out.push(n);
  }
  return out.sort((a, b) => a - b);
}
