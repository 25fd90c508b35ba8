// Pure generation of the OCI runtime spec (config.json) that runc runs. Defaults mirror Docker's
// (moby/oci/defaults.go): capability set, masked and read-only paths, mounts, devices.
import { InvalidArgumentError } from '../errors';

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options?: string[];
}

export interface OciSpec {
  ociVersion: string;
  process: {
    terminal: boolean;
    user: { uid: number; gid: number; additionalGids?: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: Record<'bounding' | 'effective' | 'permitted', string[]>;
    rlimits: { type: string; hard: number; soft: number }[];
    noNewPrivileges: boolean;
    oomScoreAdj?: number;
  };
  root: { path: string; readonly: boolean };
  hostname: string;
  domainname?: string;
  mounts: OciMount[];
  linux: {
    namespaces: { type: string; path?: string }[];
    cgroupsPath: string;
    resources: {
      devices: { allow: boolean; type?: string; major?: number; minor?: number; access: string }[];
      memory?: { limit?: number; swap?: number };
      cpu?: { quota?: number; period?: number; shares?: number };
      pids?: { limit: number };
    };
    devices: { path: string; type: string; major: number; minor: number; fileMode: number; uid: number; gid: number }[];
    maskedPaths: string[];
    readonlyPaths: string[];
  };
}

export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/** Every capability of this kernel generation (docker run --privileged / --cap-add ALL). */
export const ALL_CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

/** Docker's --cap-add/--cap-drop on top of the default set ("NET_ADMIN", "CAP_NET_ADMIN", "ALL"). */
export function capabilitySet(add: string[] = [], drop: string[] = [], privileged = false): string[] {
  const norm = (c: string) => {
    const up = c.toUpperCase();
    const name = up === 'ALL' ? 'ALL' : up.startsWith('CAP_') ? up : `CAP_${up}`;
    if (name !== 'ALL' && !ALL_CAPABILITIES.includes(name))
      throw new InvalidArgumentError(`unknown capability: "${c}"`);
    return name;
  };
  const adds = add.map(norm);
  const drops = drop.map(norm);
  let caps = privileged || adds.includes('ALL') ? [...ALL_CAPABILITIES] : [...DEFAULT_CAPABILITIES];
  for (const c of adds) if (c !== 'ALL' && !caps.includes(c)) caps.push(c);
  if (drops.includes('ALL')) caps = adds.filter((c) => c !== 'ALL');
  else caps = caps.filter((c) => !drops.includes(c));
  return caps;
}

export const MASKED_PATHS = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The device nodes every Docker container gets, and the cgroup device rules that allow them. */
const DEVICES: [string, number, number][] = [
  ['/dev/null', 1, 3],
  ['/dev/zero', 1, 5],
  ['/dev/full', 1, 7],
  ['/dev/random', 1, 8],
  ['/dev/urandom', 1, 9],
  ['/dev/tty', 5, 0],
];

const DEVICE_RULES: OciSpec['linux']['resources']['devices'] = [
  { allow: false, access: 'rwm' },
  ...DEVICES.map(([, major, minor]) => ({ allow: true, type: 'c', major, minor, access: 'rwm' })),
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' }, // /dev/console
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' }, // /dev/ptmx
  { allow: true, type: 'c', major: 136, access: 'rwm' }, // /dev/pts/*
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' }, // /dev/net/tun
];

export function defaultMounts(): OciMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev/shm',
      type: 'tmpfs',
      source: 'shm',
      options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
    },
  ];
}

export interface BindMount {
  source: string;
  destination: string;
  readonly: boolean;
}

export interface SpecInput {
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  additionalGids?: number[];
  hostname: string;
  /** Bottom-first read-only layers, and the writable upper/work dirs of the container's overlay root. */
  layerDirs: string[];
  upperDir: string;
  workDir: string;
  /** Path of the empty bundle rootfs dir the overlay is mounted on (runc's root.path). */
  rootPath: string;
  /**
   * "host": share the host's network namespace; "none": a fresh one with only loopback; otherwise
   * the path of a namespace the network service prepared.
   */
  network: { mode: 'host' } | { mode: 'none' } | { mode: 'path'; path: string };
  cgroupsPath: string;
  binds?: BindMount[];
  tmpfs?: { destination: string; options: string[] }[];
  memoryBytes?: number;
  /** -1 = unlimited swap; undefined = same as memory (Docker's default: total = 2x memory). */
  memorySwapBytes?: number;
  nanoCpus?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  cpuShares?: number;
  pidsLimit?: number;
  /** RLIMIT_NOFILE for the process; must not exceed the daemon's own hard limit (see hostNofileLimit). */
  nofile?: number;
  capAdd?: string[];
  capDrop?: string[];
  /** --privileged: all capabilities, no masked or read-only paths, /sys writable, all devices allowed. */
  privileged?: boolean;
  readonlyRootfs?: boolean;
  domainname?: string;
}

export const CFS_PERIOD_US = 100000;

/**
 * The root filesystem is an overlay mounted by runc itself as the first mount (onto the bundle's
 * empty rootfs dir) so that it lives only in the container's mount namespace: no mount(8) spawn
 * on the hot path and nothing to unmount or leak when the container dies.
 */
export function overlayRootMount(layerDirs: string[], upperDir: string, workDir: string): OciMount {
  // overlayfs lowerdir lists the top layer first. With no layers, an empty lower is not allowed:
  // the caller passes at least one dir (an empty one for FROM scratch).
  const lower = [...layerDirs].reverse().join(':');
  return {
    destination: '/',
    type: 'overlay',
    source: 'overlay',
    options: [`lowerdir=${lower}`, `upperdir=${upperDir}`, `workdir=${workDir}`],
  };
}

export function buildOciSpec(input: SpecInput): OciSpec {
  const namespaces: { type: string; path?: string }[] = [
    { type: 'pid' },
    { type: 'ipc' },
    { type: 'uts' },
    { type: 'mount' },
  ];
  if (input.network.mode === 'none') namespaces.push({ type: 'network' });
  else if (input.network.mode === 'path') namespaces.push({ type: 'network', path: input.network.path });

  const mounts: OciMount[] = [overlayRootMount(input.layerDirs, input.upperDir, input.workDir), ...defaultMounts()];
  for (const t of input.tmpfs ?? [])
    mounts.push({
      destination: t.destination,
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'nodev', 'noexec', ...t.options],
    });
  for (const b of input.binds ?? []) {
    mounts.push({
      destination: b.destination,
      type: 'bind',
      source: b.source,
      options: ['rbind', 'rprivate', b.readonly ? 'ro' : 'rw'],
    });
  }

  if (input.privileged) {
    for (const m of mounts)
      if (m.destination === '/sys' || m.destination === '/sys/fs/cgroup')
        m.options = (m.options ?? []).map((o) => (o === 'ro' ? 'rw' : o));
  }
  const resources: OciSpec['linux']['resources'] = {
    devices: input.privileged ? [{ allow: true, access: 'rwm' }] : DEVICE_RULES,
  };
  const caps = capabilitySet(input.capAdd, input.capDrop, input.privileged);
  if (input.memoryBytes && input.memoryBytes > 0) {
    // Docker: without --memory-swap the container may use as much swap as memory (total 2x).
    const swap =
      input.memorySwapBytes === undefined || input.memorySwapBytes === 0
        ? input.memoryBytes * 2
        : input.memorySwapBytes;
    resources.memory = { limit: input.memoryBytes, swap };
  }
  const cpu = cpuResources(input);
  if (cpu) resources.cpu = cpu;
  if (input.pidsLimit && input.pidsLimit > 0) resources.pids = { limit: input.pidsLimit };

  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: false,
      user: {
        uid: input.uid,
        gid: input.gid,
        ...(input.additionalGids?.length ? { additionalGids: input.additionalGids } : {}),
      },
      args: input.args,
      env: input.env,
      cwd: input.cwd || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: input.nofile ?? 1024, soft: input.nofile ?? 1024 }],
      noNewPrivileges: false,
    },
    root: { path: input.rootPath, readonly: !!input.readonlyRootfs },
    hostname: input.hostname,
    ...(input.domainname ? { domainname: input.domainname } : {}),
    mounts,
    linux: {
      namespaces,
      cgroupsPath: input.cgroupsPath,
      resources,
      devices: DEVICES.map(([path, major, minor]) => ({
        path,
        type: 'c',
        major,
        minor,
        fileMode: 0o666,
        uid: 0,
        gid: 0,
      })),
      maskedPaths: input.privileged ? [] : MASKED_PATHS,
      readonlyPaths: input.privileged ? [] : READONLY_PATHS,
    },
  };
}

function cpuResources(input: SpecInput): OciSpec['linux']['resources']['cpu'] | undefined {
  const cpu: NonNullable<OciSpec['linux']['resources']['cpu']> = {};
  if (input.nanoCpus && input.nanoCpus > 0) {
    cpu.period = CFS_PERIOD_US;
    cpu.quota = Math.round((input.nanoCpus * CFS_PERIOD_US) / 1e9);
  } else {
    if (input.cpuPeriod) cpu.period = input.cpuPeriod;
    if (input.cpuQuota) cpu.quota = input.cpuQuota;
  }
  if (input.cpuShares) cpu.shares = input.cpuShares;
  return Object.keys(cpu).length ? cpu : undefined;
}

/** Docker's env merge: later entries override earlier ones with the same name; PATH defaulted. */
export function mergeEnv(...lists: (string[] | undefined | null)[]): string[] {
  const out = new Map<string, string>();
  for (const list of lists) {
    for (const e of list ?? []) {
      const eq = e.indexOf('=');
      const key = eq < 0 ? e : e.slice(0, eq);
      if (eq < 0) continue; // "-e NAME" without value and not set: dropped, like docker without host env
      out.set(key, e);
    }
  }
  if (!out.has('PATH')) return [DEFAULT_PATH_ENV, ...out.values()];
  return [...out.values()];
}
