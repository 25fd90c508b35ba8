import { isAbsolute, resolve } from 'node:path';
import type { ContainerSpec, Mount, NetworkCreateSpec, PortConfig, ServiceSpec, UpdateConfig } from '@flotilla/manager';
import type { ComposeDeploy, ComposeFile, ComposeService } from './schema';
import { ConvertError } from './errors';
import { attachFileObjects, type StackFileObjects } from './file-objects';
import { listOrMapToMap } from './merge';
import { parseBytes, parseCpus, parseDuration, splitShellWords } from './units';

export const NAMESPACE_LABEL = 'com.docker.stack.namespace';

/** Everything `stack deploy` needs, in Docker's API shapes. */
export interface StackSpec {
  namespace: string;
  services: ServiceSpec[];
  /** Networks to create (externals excluded), keyed by the compose name. */
  networks: NetworkCreateSpec[];
  externalNetworks: string[];
  /** Named volumes declared by the stack, with their full names. */
  volumes: { name: string; driver: string; labels: Record<string, string> }[];
  /** Secrets and configs the stack creates (or updates in place) and the external ones it uses. */
  secrets: StackFileObjects<'secret'>;
  configs: StackFileObjects<'config'>;
}

export { ConvertError };

export interface ConvertContext {
  namespace: string;
  /** Directory of the first compose file: relative binds and env_files resolve against it. */
  workingDir: string;
  env: Record<string, string | undefined>;
  readFile: (path: string) => string;
  /** Secret and config files, read as bytes. */
  readBytes: (path: string) => Buffer;
  parseEnvFile: (text: string) => Record<string, string>;
}

const scoped = (ns: string, name: string) => `${ns}_${name}`;

export function convertStack(file: ComposeFile, ctx: ConvertContext): StackSpec {
  const ns = ctx.namespace;
  const declaredNets = file.networks ?? {};
  const networks: NetworkCreateSpec[] = [];
  const externalNetworks: string[] = [];
  const netNames = new Map<string, string>();
  const services = Object.entries(file.services ?? {});
  const usesDefault = services.some(
    ([, s]) =>
      !s?.networks || (Array.isArray(s.networks) ? s.networks.length === 0 : Object.keys(s.networks).length === 0),
  );
  const allNets: [string, (typeof declaredNets)[string]][] = Object.entries(declaredNets);
  if (usesDefault && !('default' in declaredNets)) allNets.push(['default', null]);
  for (const [key, n] of allNets) {
    const external = n?.external;
    if (external) {
      const name = typeof external === 'object' ? external.name : (n?.name ?? key);
      netNames.set(key, name);
      externalNetworks.push(name);
      continue;
    }
    const name = n?.name ?? scoped(ns, key);
    netNames.set(key, name);
    networks.push({
      Name: name,
      Driver: n?.driver ?? 'overlay',
      Attachable: n?.attachable ?? false,
      Internal: n?.internal ?? false,
      Labels: { ...stringMap(n?.labels), [NAMESPACE_LABEL]: ns },
      Options: Object.fromEntries(Object.entries(n?.driver_opts ?? {}).map(([k, v]) => [k, String(v)])),
      ...(n?.ipam?.config
        ? {
            IPAM: {
              Driver: n.ipam.driver ?? 'default',
              Config: n.ipam.config.map((c) => ({ Subnet: c.subnet, Gateway: c.gateway })),
            },
          }
        : {}),
    });
  }

  const volumes: StackSpec['volumes'] = [];
  const volNames = new Map<string, string>();
  for (const [key, v] of Object.entries(file.volumes ?? {})) {
    const external = v?.external;
    const name = external
      ? typeof external === 'object'
        ? external.name
        : (v?.name ?? key)
      : (v?.name ?? scoped(ns, key));
    volNames.set(key, name);
    if (!external)
      volumes.push({ name, driver: v?.driver ?? 'local', labels: { ...stringMap(v?.labels), [NAMESPACE_LABEL]: ns } });
  }

  const specs = services.map(([name, svc]) => convertService(name, svc ?? {}, ctx, netNames, volNames));
  const { secrets, configs } = attachFileObjects(file, specs, { ...ctx, namespaceLabel: NAMESPACE_LABEL });
  return { namespace: ns, services: specs, networks, externalNetworks, volumes, secrets, configs };
}

function convertService(
  name: string,
  svc: ComposeService,
  ctx: ConvertContext,
  netNames: Map<string, string>,
  volNames: Map<string, string>,
): ServiceSpec {
  const ns = ctx.namespace;
  const at = (...p: (string | number)[]) => ['services', name, ...p];
  if (!svc.image)
    throw new ConvertError(
      at(),
      `service "${name}" has no image: a stack cannot build images, add image: (build it first with "flotilla build -t <name> .")`,
    );
  const deploy: ComposeDeploy = svc.deploy ?? {};

  const container: ContainerSpec = {
    Image: svc.image,
    Labels: { ...stringMap(svc.labels), [NAMESPACE_LABEL]: ns },
  };
  if (svc.entrypoint != null) container.Command = words(svc.entrypoint);
  if (svc.command != null) container.Args = words(svc.command);
  const env = convertEnv(svc, ctx, at);
  if (env.length) container.Env = env;
  if (svc.hostname) container.Hostname = svc.hostname;
  if (svc.working_dir) container.Dir = svc.working_dir;
  if (svc.user !== undefined) container.User = String(svc.user);
  if (svc.stop_signal) container.StopSignal = svc.stop_signal;
  if (svc.stop_grace_period !== undefined) container.StopGracePeriod = parseDuration(svc.stop_grace_period);
  if (svc.init !== undefined) container.Init = svc.init;
  if (svc.extra_hosts) container.Hosts = convertHosts(svc.extra_hosts);
  if (svc.healthcheck) container.Healthcheck = convertHealthcheck(svc.healthcheck);
  const mounts = (svc.volumes ?? []).map((v, i) => convertVolume(v, ctx, volNames, at('volumes', i)));
  if (mounts.length) container.Mounts = mounts;

  const spec: ServiceSpec = {
    Name: scoped(ns, name),
    Labels: { ...stringMap(deploy.labels), [NAMESPACE_LABEL]: ns },
    TaskTemplate: { ContainerSpec: container },
    Mode:
      deploy.mode === 'global' || deploy.mode === 'global-job'
        ? { Global: {} }
        : { Replicated: { Replicas: deploy.replicas ?? 1 } },
  };
  const t = spec.TaskTemplate;
  const lim = deploy.resources?.limits;
  const res = deploy.resources?.reservations;
  if (lim || res) {
    t.Resources = {};
    if (lim)
      t.Resources.Limits = dropUndefined({
        NanoCPUs: opt(lim.cpus, parseCpus),
        MemoryBytes: opt(lim.memory, parseBytes),
        Pids: lim.pids,
      });
    if (res)
      t.Resources.Reservations = dropUndefined({
        NanoCPUs: opt(res.cpus, parseCpus),
        MemoryBytes: opt(res.memory, parseBytes),
      });
  }
  const rp = deploy.restart_policy;
  if (rp) {
    t.RestartPolicy = dropUndefined({
      Condition: rp.condition,
      Delay: opt(rp.delay, parseDuration),
      MaxAttempts: rp.max_attempts,
      Window: opt(rp.window, parseDuration),
    });
  }
  const pl = deploy.placement;
  if (pl) {
    t.Placement = dropUndefined({
      Constraints: pl.constraints,
      Preferences: pl.preferences?.map((p) => ({ Spread: { SpreadDescriptor: p.spread } })),
      MaxReplicas: pl.max_replicas_per_node,
    });
  }
  t.Networks = convertNetworks(svc, netNames, at, name);
  if (deploy.update_config) spec.UpdateConfig = convertUpdate(deploy.update_config);
  if (deploy.rollback_config) spec.RollbackConfig = convertUpdate(deploy.rollback_config);
  const ports = (svc.ports ?? []).flatMap((p, i) => convertPort(p, at('ports', i)));
  spec.EndpointSpec = { Mode: deploy.endpoint_mode ?? 'vip', ...(ports.length ? { Ports: ports } : {}) };
  return spec;
}

function words(v: string | string[]): string[] {
  return typeof v === 'string' ? splitShellWords(v) : v;
}

function opt<T, R>(v: T | undefined, f: (v: T) => R): R | undefined {
  return v === undefined ? undefined : f(v);
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function stringMap(v: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries(listOrMapToMap(v)).map(([k, x]) => [k, x ?? '']));
}

function convertEnv(
  svc: ComposeService,
  ctx: ConvertContext,
  at: (...p: (string | number)[]) => (string | number)[],
): string[] {
  const merged: Record<string, string> = {};
  const files = svc.env_file === undefined ? [] : typeof svc.env_file === 'string' ? [svc.env_file] : svc.env_file;
  files.forEach((f, i) => {
    const path = isAbsolute(f) ? f : resolve(ctx.workingDir, f);
    let text: string;
    try {
      text = ctx.readFile(path);
    } catch (e) {
      throw new ConvertError(
        at('env_file', i),
        `cannot read env file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    Object.assign(merged, ctx.parseEnvFile(text));
  });
  for (const [k, v] of Object.entries(listOrMapToMap(svc.environment))) {
    // `- KEY` without a value takes it from the deploying shell, and is left out when unset.
    const value = v ?? ctx.env[k];
    if (value !== undefined) merged[k] = value;
  }
  return Object.entries(merged)
    .map(([k, v]) => `${k}=${v}`)
    .sort();
}

function convertHosts(v: unknown): string[] {
  return Object.entries(listOrMapToMap(v)).map(([host, ip]) => {
    // "host:ip" list items arrive split at "=" only; split at the first ":" when needed.
    if (ip === null) {
      const i = host.indexOf(':');
      return i < 0 ? host : `${host.slice(i + 1)} ${host.slice(0, i)}`;
    }
    return `${ip} ${host}`;
  });
}

function convertHealthcheck(h: NonNullable<ComposeService['healthcheck']>) {
  if (h.disable) return { Test: ['NONE'] };
  const test = h.test === undefined ? undefined : typeof h.test === 'string' ? ['CMD-SHELL', h.test] : h.test;
  return dropUndefined({
    Test: test,
    Interval: opt(h.interval, parseDuration),
    Timeout: opt(h.timeout, parseDuration),
    Retries: h.retries,
    StartPeriod: opt(h.start_period, parseDuration),
  });
}

function convertUpdate(u: NonNullable<ComposeDeploy['update_config']>): UpdateConfig {
  return dropUndefined({
    Parallelism: u.parallelism ?? 1,
    Delay: opt(u.delay, parseDuration),
    FailureAction: u.failure_action,
    Monitor: opt(u.monitor, parseDuration),
    MaxFailureRatio: u.max_failure_ratio,
    Order: u.order,
  });
}

function convertNetworks(
  svc: ComposeService,
  netNames: Map<string, string>,
  at: (...p: (string | number)[]) => (string | number)[],
  name: string,
) {
  const entries: [string, string[] | undefined][] = !svc.networks
    ? [['default', undefined]]
    : Array.isArray(svc.networks)
      ? svc.networks.map((n) => [n, undefined])
      : Object.entries(svc.networks).map(([n, cfg]) => [n, cfg?.aliases]);
  if (entries.length === 0) entries.push(['default', undefined]);
  return entries.map(([net, aliases]) => {
    const target = netNames.get(net);
    if (!target)
      throw new ConvertError(
        at('networks'),
        `service "${name}" refers to undefined network ${net}: declare it under the top-level networks: key`,
      );
    return { Target: target, Aliases: [name, ...(aliases ?? [])] };
  });
}

const PORT_RE = /^(?:(?:\[?([0-9a-fA-F.:]+)\]?):)??(?:(\d+)(?:-(\d+))?:)?(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/;

function convertPort(
  p:
    | string
    | { target: number; published?: number | string; protocol?: 'tcp' | 'udp' | 'sctp'; mode?: 'ingress' | 'host' },
  at: (string | number)[],
): PortConfig[] {
  if (typeof p === 'object') {
    const published = p.published === undefined ? undefined : Number(p.published);
    if (published !== undefined && !Number.isInteger(published))
      throw new ConvertError(at, `invalid published port '${p.published}'`);
    return [
      dropUndefined({
        Protocol: p.protocol ?? 'tcp',
        TargetPort: p.target,
        PublishedPort: published,
        PublishMode: p.mode ?? 'ingress',
      }),
    ];
  }
  const m = PORT_RE.exec(p.trim());
  if (!m) throw new ConvertError(at, `invalid port '${p}': use [HOST:]CONTAINER[/PROTOCOL], e.g. "4000:80"`);
  const [, , hs, he, cs, ce, proto = 'tcp'] = m;
  const cStart = Number(cs);
  const cEnd = ce ? Number(ce) : cStart;
  const hStart = hs ? Number(hs) : undefined;
  const hEnd = he ? Number(he) : hStart;
  const count = cEnd - cStart + 1;
  if (count < 1 || (hStart !== undefined && hEnd! - hStart + 1 !== count))
    throw new ConvertError(at, `invalid port range '${p}': host and container ranges must be the same length`);
  const valid = (n: number | undefined) => n === undefined || (n >= 0 && n <= 65535);
  if (![cStart, cEnd, hStart, hEnd].every(valid) || cStart < 1)
    throw new ConvertError(at, `invalid port '${p}': ports are 1-65535`);
  return Array.from({ length: count }, (_, i) =>
    dropUndefined({
      Protocol: proto as PortConfig['Protocol'],
      TargetPort: cStart + i,
      PublishedPort: hStart === undefined ? undefined : hStart + i,
      PublishMode: 'ingress' as const,
    }),
  );
}

function convertVolume(
  v: string | { type: string; source?: string; target: string; read_only?: boolean },
  ctx: ConvertContext,
  volNames: Map<string, string>,
  at: (string | number)[],
): Mount {
  let type: string;
  let source: string | undefined;
  let target: string;
  let readOnly = false;
  if (typeof v === 'string') {
    const parts = v.split(':');
    if (parts.length === 1) {
      return { Type: 'volume', Target: parts[0]! };
    }
    if (parts.length > 3) throw new ConvertError(at, `invalid volume '${v}': use SOURCE:TARGET[:ro]`);
    [source, target] = parts as [string, string];
    const mode = parts[2];
    if (mode !== undefined && !/^(ro|rw|z|Z|nocopy|ro,[zZ]|rw,[zZ])$/.test(mode))
      throw new ConvertError(at, `invalid volume mode '${mode}' in '${v}': use ro or rw`);
    readOnly = mode?.startsWith('ro') ?? false;
    type = source.startsWith('/') || source.startsWith('.') || source.startsWith('~') ? 'bind' : 'volume';
  } else {
    ({ type, source, target } = v);
    readOnly = v.read_only ?? false;
  }
  if (!target.startsWith('/'))
    throw new ConvertError(at, `invalid mount target '${target}': it must be an absolute path`);
  if (type === 'bind') {
    if (!source) throw new ConvertError(at, 'a bind mount needs a source');
    const home = ctx.env.HOME ?? '/root';
    const src = source.startsWith('~')
      ? resolve(home, source.slice(2))
      : isAbsolute(source)
        ? source
        : resolve(ctx.workingDir, source);
    return { Type: 'bind', Source: src, Target: target, ReadOnly: readOnly };
  }
  if (type === 'tmpfs') return { Type: 'tmpfs', Target: target };
  if (type !== 'volume') throw new ConvertError(at, `unsupported mount type '${type}'`);
  if (!source) return { Type: 'volume', Target: target, ReadOnly: readOnly };
  const full = volNames.get(source);
  if (!full) throw new ConvertError(at, `undefined volume "${source}": declare it under the top-level volumes: key`);
  return {
    Type: 'volume',
    Source: full,
    Target: target,
    ReadOnly: readOnly,
    VolumeOptions: { Labels: { [NAMESPACE_LABEL]: ctx.namespace } },
  };
}
