// Adapts the runtime's container manager to the API's ContainerBackend, and owns the start-up
// order: networks recover first, then containers reconcile against them.
import { PassThrough } from 'node:stream';
import type { ContainerBackend, ContainerCreateBody, LogChunk, ProcessStreams } from '../api/backend';
import type { ImageStore } from '../images/image-store';
import type { Logger } from '../log';
import type { BridgeNetworkService } from '../network/service';
import type { DataPaths } from '../paths';
import { commitContainer } from '../runtime/container-commit';
import { ContainerManager } from '../runtime/container-manager';
import type { ContainerCreateRequest, WaitCondition } from '../runtime/container-types';
import { formatLogEntry } from '../runtime/log-file';
import type { VolumeStore } from '../volumes/volume-store';

export interface ContainerEngine {
  backend: ContainerBackend;
  manager: ContainerManager;
  counts(): { total: number; running: number; paused: number; stopped: number };
  close(): Promise<void>;
}

export interface ContainerEngineDeps {
  paths: DataPaths;
  images: ImageStore;
  volumes: VolumeStore;
  networks: BridgeNetworkService;
  log: Logger;
}

/** A stdin pipe for attach/exec: a client writing after the process ended must not crash us. */
function stdinPipe(): PassThrough {
  const p = new PassThrough();
  p.on('error', () => undefined);
  return p;
}

async function* logChunks(
  entries: AsyncIterable<{ stream: 'stdout' | 'stderr'; time: string; line: string }>,
  timestamps: boolean,
): AsyncGenerator<LogChunk> {
  for await (const e of entries) yield { stream: e.stream, data: formatLogEntry(e, timestamps) };
}

export async function createContainerEngine(deps: ContainerEngineDeps): Promise<ContainerEngine> {
  const { networks, images } = deps;
  // Networks first: the manager tears down the sandboxes of containers that died with the last daemon.
  await networks.init();
  const manager = new ContainerManager({
    paths: deps.paths,
    images,
    volumes: deps.volumes,
    network: networks,
    log: deps.log.child({ component: 'containers' }),
  });
  await manager.init();
  await networks.reconcile(
    manager
      .list({ all: true })
      .filter((c) => c.State === 'running' || c.State === 'paused')
      .map((c) => c.Id),
  );
  // Sandboxes of containers that died with the last daemon were destroyed just now; delete their
  // host veths at once rather than whenever the next batch of exits settles.
  await networks.settle();
  images.setUsageChecker((imageId) =>
    manager
      .list({ all: true })
      .filter((c) => c.ImageID === imageId)
      .map((c) => ({ containerId: c.Id, running: c.State === 'running' || c.State === 'paused' })),
  );

  const tty = (ref: string) => Boolean(manager.inspect(ref).Config?.Tty);

  const backend: ContainerBackend = {
    async list({ all, filters }) {
      return manager.list({ all, filters }) as unknown as Awaited<ReturnType<ContainerBackend['list']>>;
    },
    async create(name, body: ContainerCreateBody) {
      return manager.create(body as unknown as ContainerCreateRequest, { name });
    },
    async inspect(ref) {
      return manager.inspect(ref) as unknown as Awaited<ReturnType<ContainerBackend['inspect']>>;
    },
    start: (ref) => manager.start(ref),
    stop: (ref, opts) => manager.stop(ref, opts),
    restart: (ref, opts) => manager.restart(ref, opts),
    kill: (ref, signal) => manager.kill(ref, { signal }),
    async wait(ref, { condition, signal }) {
      const r = await manager.wait(ref, { condition: condition as WaitCondition, signal });
      if (condition === 'removed') return r;
      // The manager can report "not running" a moment before it records the exit code; the
      // recorded state is the truth, so wait for it to leave "running".
      for (let i = 0; i < 500; i++) {
        const st = manager.inspect(ref).State;
        if (!st.Running) return { StatusCode: st.ExitCode, Error: st.Error ? { Message: st.Error } : null };
        await new Promise((res) => setTimeout(res, 5));
      }
      return r;
    },
    remove: (ref, opts) => manager.remove(ref, opts),
    rename: (ref, name) => manager.rename(ref, name),
    pause: (ref) => manager.pause(ref),
    unpause: (ref) => manager.unpause(ref),
    async prune() {
      const deleted: string[] = [];
      for (const c of manager.list({ all: true })) {
        if (!['exited', 'created', 'dead'].includes(c.State)) continue;
        // A container that started or went away meanwhile is simply not pruned.
        await manager.remove(c.Id, { force: false }).then(
          () => deleted.push(c.Id),
          () => undefined,
        );
      }
      return { ContainersDeleted: deleted, SpaceReclaimed: 0 };
    },
    async logs(ref, o) {
      const entries = await manager.logs(ref, {
        stdout: o.stdout,
        stderr: o.stderr,
        follow: o.follow,
        tail: o.tail,
        since: o.since || undefined,
        until: o.until || undefined,
        signal: o.signal,
      });
      return { tty: tty(ref), chunks: logChunks(entries, o.timestamps) };
    },
    async attach(ref, o): Promise<ProcessStreams> {
      const stdin = o.stdin ? stdinPipe() : undefined;
      const { output } = await manager.attach(ref, { stdin, stdout: o.stdout, stderr: o.stderr, signal: o.signal });
      return { output, stdin, tty: tty(ref) };
    },
    async top(ref) {
      return manager.top(ref);
    },
    async stats(ref) {
      return (await manager.stats(ref)) as unknown as Record<string, unknown>;
    },
    export: (ref) => manager.export(ref),
    async commit(ref, { pause, ...opts }) {
      const c = manager.inspect(ref);
      const src = {
        id: c.Id,
        imageId: c.Image,
        upperDir: c.GraphDriver.Data.UpperDir ?? '',
        config: c.Config as unknown as Record<string, unknown>,
      };
      const paused = pause && c.State.Running && !c.State.Paused;
      if (paused) await manager.pause(ref);
      try {
        return { Id: await commitContainer(images, src, opts) };
      } finally {
        if (paused) await manager.unpause(ref).catch(() => undefined);
      }
    },
    async execCreate(ref, body) {
      return manager.execCreate(ref, body);
    },
    async execStart(execId, { detach, signal }) {
      const info = manager.execInspect(execId);
      const stdin = info.OpenStdin && !detach ? stdinPipe() : undefined;
      const r = await manager.execStart(execId, { stdin, signal: detach ? undefined : signal });
      if (detach) {
        // Nobody reads a detached exec's output; drain it so the process never blocks on a pipe.
        void (async () => {
          for await (const _c of r.output) void _c;
        })().catch(() => undefined);
        return null;
      }
      const output = (async function* () {
        yield* r.output;
        await r.exitCode;
      })();
      return { output, stdin, tty: Boolean(info.ProcessConfig?.tty) };
    },
    async execInspect(execId) {
      return manager.execInspect(execId) as unknown as Record<string, unknown>;
    },
  };

  return {
    backend,
    manager,
    counts() {
      const all = manager.list({ all: true });
      const running = all.filter((c) => c.State === 'running').length;
      const paused = all.filter((c) => c.State === 'paused').length;
      return { total: all.length, running, paused, stopped: all.length - running - paused };
    },
    async close() {
      await manager.shutdown();
      await networks.close();
    },
  };
}
