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
  log?: Logger;
}

/** Runs swarm tasks as engine-core containers on this node. */
export class EngineExecutor implements Executor {
  constructor(private readonly o: EngineExecutorOptions) {}

  async describe(): Promise<Node['Description']> {
    return {
      Hostname: this.o.hostname ?? os.hostname(),
      Platform: { Architecture: os.arch() === 'x64' ? 'x86_64' : os.arch(), OS: 'linux' },
      Resources: { NanoCPUs: os.cpus().length * 1e9, MemoryBytes: os.totalmem() },
      Engine: { EngineVersion: this.o.engineVersion },
    };
  }

  controller(task: Task): TaskController {
    return new EngineController(task, this.o);
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

  constructor(
    private readonly task: Task,
    private readonly o: EngineExecutorOptions,
  ) {}

  private existing(): string | null {
    const hit = this.o.containers.list({ all: true, filters: { label: [`${TASK_LABELS.taskId}=${this.task.ID}`] } })[0];
    return hit?.Id ?? null;
  }

  async prepare(signal: AbortSignal): Promise<void> {
    this.containerId = this.existing();
    if (this.containerId) return;
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
    const req = containerRequest(this.task, {
      serviceName: this.o.serviceName(this.task),
      network: net?.name ?? null,
      aliases: net?.aliases ?? [],
    });
    try {
      const { Id } = await this.o.containers.create(req, {
        name: taskContainerName(this.task, this.o.serviceName(this.task)),
        signal,
      });
      this.containerId = Id;
    } catch (e) {
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
    if (!id) return;
    await this.o.containers.remove(id, { force: true }).catch((e: Error) => {
      if (!(e instanceof NotFoundError)) throw e;
    });
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
