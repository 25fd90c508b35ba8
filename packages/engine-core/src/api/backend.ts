// What the HTTP layer needs from the engine, in Docker Engine API v1.41 shapes. The daemon's
// composition root adapts the image store, container manager, network service and volumes to it,
// so routes stay thin translations between HTTP and these calls.
import type { Readable } from 'node:stream';
import type { NetworkService } from '../network/types';

export interface LogChunk {
  stream: 'stdout' | 'stderr';
  data: Buffer;
}

export interface LogsOptions {
  follow: boolean;
  stdout: boolean;
  stderr: boolean;
  /** Unix seconds (fractional allowed); 0 = no bound. */
  since: number;
  until: number;
  timestamps: boolean;
  /** Number of last lines, or 'all'. */
  tail: number | 'all';
  signal?: AbortSignal;
}

/** POST /containers/create body (the subset we honour; unknown fields are ignored like docker). */
export interface ContainerCreateBody {
  Hostname?: string;
  User?: string;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Entrypoint?: string[] | null;
  Image: string;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  ExposedPorts?: Record<string, object> | null;
  Tty?: boolean;
  OpenStdin?: boolean;
  AttachStdin?: boolean;
  StopSignal?: string;
  StopTimeout?: number | null;
  HostConfig?: {
    Binds?: string[] | null;
    PortBindings?: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null;
    NetworkMode?: string;
    AutoRemove?: boolean;
    NanoCpus?: number;
    CpuQuota?: number;
    CpuPeriod?: number;
    Memory?: number;
    PidsLimit?: number | null;
    Mounts?: { Type?: string; Source?: string; Target: string; ReadOnly?: boolean }[] | null;
    RestartPolicy?: { Name?: string; MaximumRetryCount?: number };
    Privileged?: boolean;
    ReadonlyRootfs?: boolean;
  } | null;
  NetworkingConfig?: {
    EndpointsConfig?: Record<
      string,
      { Aliases?: string[] | null; IPAMConfig?: { IPv4Address?: string } | null }
    > | null;
  } | null;
}

export interface ExecCreateBody {
  Cmd: string[];
  Env?: string[] | null;
  User?: string;
  WorkingDir?: string;
  Tty?: boolean;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Privileged?: boolean;
}

/** A started exec or attach: output chunks, an optional stdin sink, and how it ended. */
export interface ProcessStreams {
  output: AsyncIterable<LogChunk>;
  stdin?: NodeJS.WritableStream;
  tty: boolean;
}

export type ContainerSummary = Record<string, unknown> & { Id: string; Names: string[] };
export type ContainerInspect = Record<string, unknown> & { Id: string; Name: string; State: Record<string, unknown> };

export interface ContainerBackend {
  list(opts: { all: boolean; filters?: Record<string, string[]> }): Promise<ContainerSummary[]>;
  create(name: string | undefined, body: ContainerCreateBody): Promise<{ Id: string; Warnings: string[] }>;
  inspect(idOrName: string): Promise<ContainerInspect>;
  start(idOrName: string): Promise<void>;
  stop(idOrName: string, opts: { timeout?: number; signal?: string }): Promise<void>;
  restart(idOrName: string, opts: { timeout?: number }): Promise<void>;
  kill(idOrName: string, signal: string): Promise<void>;
  /** condition: not-running (default), next-exit, removed. */
  wait(
    idOrName: string,
    opts: { condition: string; signal?: AbortSignal },
  ): Promise<{ StatusCode: number; Error?: { Message: string } | null }>;
  remove(idOrName: string, opts: { force: boolean; volumes: boolean }): Promise<void>;
  logs(idOrName: string, opts: LogsOptions): Promise<{ tty: boolean; chunks: AsyncIterable<LogChunk> }>;
  /** Attach to a container's stdio (stdin only if it was created with OpenStdin). */
  attach(
    idOrName: string,
    opts: { stdin: boolean; stdout: boolean; stderr: boolean; stream: boolean; logs: boolean; signal?: AbortSignal },
  ): Promise<ProcessStreams>;
  top(idOrName: string, psArgs: string): Promise<{ Titles: string[]; Processes: string[][] }>;
  stats(idOrName: string): Promise<Record<string, unknown>>;
  /** docker export: a tar of the container's filesystem. */
  export?(idOrName: string): Promise<Readable>;
  /** docker commit: a new image from the container's changes; `pause` pauses it meanwhile. */
  commit?(
    idOrName: string,
    opts: {
      tag?: string;
      comment?: string;
      author?: string;
      changes: string[];
      pause: boolean;
      config?: Record<string, unknown> | null;
    },
  ): Promise<{ Id: string }>;
  rename?(idOrName: string, newName: string): Promise<void>;
  pause?(idOrName: string): Promise<void>;
  unpause?(idOrName: string): Promise<void>;
  /** docker container prune: remove every stopped container. */
  prune?(): Promise<{ ContainersDeleted: string[]; SpaceReclaimed: number }>;
  execCreate(idOrName: string, body: ExecCreateBody): Promise<{ Id: string }>;
  execStart(
    execId: string,
    opts: { detach: boolean; tty: boolean; signal?: AbortSignal },
  ): Promise<ProcessStreams | null>;
  execInspect(execId: string): Promise<Record<string, unknown>>;
}

export interface ProgressSink {
  /** One JSON message per line, docker's jsonmessage shape ({status}, {stream}, {error, errorDetail}, {aux}). */
  (msg: Record<string, unknown>): void;
}

export interface RegistryAuth {
  username?: string;
  password?: string;
  serveraddress?: string;
  identitytoken?: string;
}

export interface BuildRequest {
  /** The context tar stream (request body). */
  context: Readable;
  tags: string[];
  dockerfile: string;
  buildArgs: Record<string, string>;
  noCache: boolean;
  labels: Record<string, string>;
  target?: string;
  pull: boolean;
  rm: boolean;
  signal?: AbortSignal;
}

export type ImageSummary = Record<string, unknown> & { Id: string };

export interface ImageBackend {
  list(opts: { all: boolean; filters?: Record<string, string[]> }): Promise<ImageSummary[]>;
  inspect(ref: string): Promise<Record<string, unknown>>;
  history(ref: string): Promise<Record<string, unknown>[]>;
  tag(ref: string, repo: string, tag: string): Promise<void>;
  remove(ref: string, opts: { force: boolean; noprune: boolean }): Promise<{ Untagged?: string; Deleted?: string }[]>;
  pull(
    ref: string,
    auth: RegistryAuth | undefined,
    progress: ProgressSink,
    opts: { signal?: AbortSignal },
  ): Promise<void>;
  /** POST /images/create?fromSrc=-: import a rootfs tar as a one-layer image. Returns the ID. */
  import(
    tar: Readable,
    repoTag: string | undefined,
    opts: { changes: string[]; message?: string; signal?: AbortSignal },
  ): Promise<string>;
  push(
    ref: string,
    auth: RegistryAuth | undefined,
    progress: ProgressSink,
    opts: { signal?: AbortSignal },
  ): Promise<void>;
  /** docker save format tar of the given references. */
  save(refs: string[], opts: { signal?: AbortSignal }): Promise<Readable>;
  /** docker load: returns docker's output lines ("Loaded image: x:y" / "Loaded image ID: sha256:..."). */
  load(tar: Readable, opts: { signal?: AbortSignal }): Promise<string[]>;
  build(req: BuildRequest, progress: ProgressSink): Promise<{ id: string }>;
  /** POST /auth: check credentials against the registry and remember them. */
  login(auth: RegistryAuth, opts: { signal?: AbortSignal }): Promise<{ Status: string; IdentityToken?: string }>;
  /** docker image prune: dangling images, or with `all` every image no container uses. */
  prune?(opts: { all: boolean }): Promise<{ ImagesDeleted: unknown[]; SpaceReclaimed: number }>;
}

export type VolumeRecord = Record<string, unknown> & { Name: string };

export interface VolumeBackend {
  list(): Promise<VolumeRecord[]>;
  create(opts: {
    Name?: string;
    Driver?: string;
    DriverOpts?: Record<string, string>;
    Labels?: Record<string, string>;
  }): Promise<VolumeRecord>;
  inspect(name: string): Promise<VolumeRecord>;
  remove(name: string, opts: { force: boolean }): Promise<void>;
  /** docker volume prune: unused anonymous volumes, or with `all` every unused one. */
  prune?(opts: { all: boolean }): Promise<{ VolumesDeleted: string[]; SpaceReclaimed: number }>;
}

export interface SystemBackend {
  version(): Record<string, unknown>;
  info(): Promise<Record<string, unknown>>;
  /** Live engine events in docker's /events shape; returns the unsubscribe function. */
  subscribe?(onEvent: (ev: Record<string, unknown>) => void): () => void;
}

export interface EngineBackend {
  system: SystemBackend;
  containers: ContainerBackend;
  images: ImageBackend;
  networks: NetworkService;
  volumes: VolumeBackend;
}
