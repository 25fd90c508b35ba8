// The contract between the image store (images/) and its users (runtime/, builder, api/).

/** OCI image config `config` section, in Docker's JSON names. */
export interface ContainerConfigSpec {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; Retries?: number; StartPeriod?: number };
  Shell?: string[];
}

/** An image as the store knows it. */
export interface ImageRecord {
  /** "sha256:<hex>" of the config blob: the image ID. */
  id: string;
  repoTags: string[];
  repoDigests: string[];
  created: string;
  size: number;
  architecture: string;
  os: string;
  config: ContainerConfigSpec;
  /** Layer diff IDs, bottom first. */
  diffIds: string[];
}

/** What the runtime needs from the image store to make a container rootfs. */
export interface ImageProvider {
  /** Resolve a reference (name[:tag], name@digest, full or short ID). Throws NotFoundError. */
  resolve(ref: string): Promise<ImageRecord>;
  /** Absolute paths of the unpacked layer directories, bottom first (overlayfs lowerdirs reversed). */
  layerDirs(image: ImageRecord): Promise<string[]>;
}

/**
 * Runs one Dockerfile RUN step in a throwaway container under runc (implemented in runtime/,
 * used by the builder). The container's rootfs is overlayfs: `layerDirs` (bottom first) read-only,
 * writes go to `upperDir`, which becomes the new layer.
 */
export interface BuildRunner {
  run(opts: {
    layerDirs: string[];
    upperDir: string;
    /** An empty directory on the same filesystem as upperDir, for overlayfs workdir. */
    workDir: string;
    args: string[];
    env: string[];
    cwd: string;
    user: string;
    hostname?: string;
    onOutput: (chunk: Buffer) => void;
    signal?: AbortSignal;
  }): Promise<{ exitCode: number }>;
}
