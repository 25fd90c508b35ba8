// Pure: turn a create request plus the image's config into what the container runs and mounts.
import { isAbsolute, posix } from 'node:path';
import { InvalidArgumentError } from '../errors';
import type { ContainerConfigSpec } from '../images/types';
import type { PortBindingRequest } from '../network/types';
import type { ContainerConfig, ContainerCreateRequest, HostConfig, MountPoint } from './container-types';
import { mergeHealthcheck, validateHealthcheck } from './health';
import { mergeEnv } from './oci-spec';

function asArgv(v: string[] | string | null | undefined): string[] | null | undefined {
  if (v === undefined) return undefined;
  if (v === null) return null;
  return typeof v === 'string' ? ['/bin/sh', '-c', v] : v;
}

/**
 * Docker's merge: request fields win over the image's; an Entrypoint given without Cmd drops the
 * image's Cmd; Env is merged by name; Labels, ExposedPorts and Volumes are unions.
 */
export function mergeConfig(
  req: ContainerCreateRequest,
  image: ContainerConfigSpec,
  hostname: string,
): ContainerConfig {
  const reqEntrypoint = asArgv(req.Entrypoint);
  const reqCmd = asArgv(req.Cmd);
  let entrypoint: string[] | null;
  let cmd: string[] | null;
  if (
    reqEntrypoint !== undefined &&
    reqEntrypoint !== null &&
    !(reqEntrypoint.length === 1 && reqEntrypoint[0] === '')
  ) {
    entrypoint = reqEntrypoint;
    cmd = reqCmd?.length ? reqCmd : null;
  } else if (reqEntrypoint !== undefined && reqEntrypoint !== null) {
    // --entrypoint "" resets the image's entrypoint
    entrypoint = null;
    cmd = reqCmd?.length ? reqCmd : (image.Cmd ?? null);
  } else {
    entrypoint = image.Entrypoint?.length ? image.Entrypoint : null;
    cmd = reqCmd?.length ? reqCmd : image.Cmd?.length ? image.Cmd : null;
  }
  const exposed = { ...(image.ExposedPorts ?? {}), ...(req.ExposedPorts ?? {}) };
  const volumes = { ...(image.Volumes ?? {}), ...(req.Volumes ?? {}) };
  const config: ContainerConfig = {
    Hostname: hostname,
    Domainname: req.Domainname ?? '',
    User: req.User || image.User || '',
    AttachStdin: req.AttachStdin ?? false,
    AttachStdout: req.AttachStdout ?? false,
    AttachStderr: req.AttachStderr ?? false,
    Tty: req.Tty ?? false,
    OpenStdin: req.OpenStdin ?? false,
    StdinOnce: req.StdinOnce ?? false,
    Env: mergeEnv(image.Env, req.Env ?? undefined),
    Cmd: cmd,
    Image: req.Image,
    Volumes: Object.keys(volumes).length ? volumes : null,
    WorkingDir: req.WorkingDir || image.WorkingDir || '',
    Entrypoint: entrypoint,
    Labels: { ...(image.Labels ?? {}), ...(req.Labels ?? {}) },
  };
  if (Object.keys(exposed).length) config.ExposedPorts = exposed;
  const stopSignal = req.StopSignal || image.StopSignal;
  if (stopSignal) config.StopSignal = stopSignal;
  if (typeof req.StopTimeout === 'number') config.StopTimeout = req.StopTimeout;
  validateHealthcheck(req.Healthcheck);
  const health = mergeHealthcheck(req.Healthcheck, image.Healthcheck);
  if (health) config.Healthcheck = health;
  return config;
}

export function commandOf(config: ContainerConfig): { path: string; args: string[] } {
  const [path, ...args] = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
  if (path === undefined) throw new InvalidArgumentError('No command specified');
  return { path, args };
}

/** A mount before volume names are resolved to paths. */
export type MountPlan =
  /** `mustExist`: a --mount (HostConfig.Mounts) bind refuses a missing source; -v creates it as a directory. */
  | { type: 'bind'; source: string; destination: string; readonly: boolean; mode: string; mustExist?: boolean }
  | { type: 'volume'; name: string | null; destination: string; readonly: boolean; mode: string }
  | { type: 'tmpfs'; destination: string; options: string };

/** Parse -v specs ("/host:/ctr[:ro]", "name:/ctr", "/ctr"), HostConfig.Mounts, Tmpfs and image VOLUMEs. */
export function planMounts(host: HostConfig, imageVolumes: Record<string, object> | null): MountPlan[] {
  const plans: MountPlan[] = [];
  for (const spec of host.Binds ?? []) plans.push(parseBind(spec));
  for (const m of host.Mounts ?? []) {
    if (!m.Target || !isAbsolute(m.Target))
      throw new InvalidArgumentError(
        `invalid mount config for type "${m.Type}": invalid mount path: '${m.Target ?? ''}' mount path must be absolute`,
      );
    if (m.Type === 'bind') {
      if (!m.Source || !isAbsolute(m.Source))
        throw new InvalidArgumentError(
          `invalid mount config for type "bind": invalid mount path: '${m.Source ?? ''}' mount path must be absolute`,
        );
      plans.push({
        type: 'bind',
        source: m.Source,
        destination: clean(m.Target),
        readonly: !!m.ReadOnly,
        mode: '',
        mustExist: true,
      });
    } else if (m.Type === 'volume') {
      plans.push({
        type: 'volume',
        name: m.Source || null,
        destination: clean(m.Target),
        readonly: !!m.ReadOnly,
        mode: '',
      });
    } else if (m.Type === 'tmpfs') {
      const opts: string[] = [];
      if (m.TmpfsOptions?.SizeBytes) opts.push(`size=${m.TmpfsOptions.SizeBytes}`);
      if (m.TmpfsOptions?.Mode) opts.push(`mode=${m.TmpfsOptions.Mode.toString(8)}`);
      plans.push({ type: 'tmpfs', destination: clean(m.Target), options: opts.join(',') });
    } else {
      throw new InvalidArgumentError(`invalid mount config: mount type unknown: "${(m as { Type: string }).Type}"`);
    }
  }
  for (const [dest, opts] of Object.entries(host.Tmpfs ?? {})) {
    if (!isAbsolute(dest))
      throw new InvalidArgumentError(`invalid tmpfs mount path: '${dest}' mount path must be absolute`);
    plans.push({ type: 'tmpfs', destination: clean(dest), options: opts });
  }
  const seen = new Set<string>();
  for (const p of plans) {
    if (seen.has(p.destination)) throw new InvalidArgumentError(`Duplicate mount point: ${p.destination}`);
    seen.add(p.destination);
  }
  for (const dest of Object.keys(imageVolumes ?? {})) {
    const d = clean(dest);
    if (!seen.has(d)) {
      seen.add(d);
      plans.push({ type: 'volume', name: null, destination: d, readonly: false, mode: '' });
    }
  }
  return plans;
}

const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function parseBind(spec: string): MountPlan {
  const parts = spec.split(':');
  const [src = '', dst, mode = ''] = parts;
  if (dst === undefined) {
    if (!isAbsolute(src)) throw new InvalidArgumentError(`invalid volume specification: '${spec}'`);
    return { type: 'volume', name: null, destination: clean(src), readonly: false, mode: '' };
  }
  if (parts.length > 3) throw new InvalidArgumentError(`invalid volume specification: '${spec}'`);
  if (!isAbsolute(dst))
    throw new InvalidArgumentError(
      `invalid volume specification: '${spec}': invalid mount config for type "bind": invalid mount path: '${dst}' mount path must be absolute`,
    );
  const modes = mode ? mode.split(',') : [];
  for (const m of modes) {
    if (!['ro', 'rw', 'z', 'Z', 'private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'nocopy'].includes(m)) {
      throw new InvalidArgumentError(`invalid mode: ${m}`);
    }
  }
  const readonly = modes.includes('ro');
  if (isAbsolute(src)) return { type: 'bind', source: clean(src), destination: clean(dst), readonly, mode };
  if (!VOLUME_NAME.test(src)) {
    throw new InvalidArgumentError(
      `create ${src}: "${src}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
    );
  }
  return { type: 'volume', name: src, destination: clean(dst), readonly, mode };
}

function clean(p: string): string {
  return posix.normalize(p).replace(/(.)\/$/, '$1');
}

export function mountPointOf(plan: MountPlan, resolved: { source: string; name?: string }): MountPoint {
  if (plan.type === 'tmpfs')
    return {
      Type: 'tmpfs',
      Source: '',
      Destination: plan.destination,
      Mode: plan.options,
      RW: true,
      Propagation: '',
      TmpfsOptions: plan.options,
    };
  const mp: MountPoint = {
    Type: plan.type,
    Source: resolved.source,
    Destination: plan.destination,
    Mode: plan.type === 'volume' ? plan.mode || 'z' : plan.mode,
    RW: !plan.readonly,
    Propagation: plan.type === 'bind' ? 'rprivate' : '',
  };
  if (plan.type === 'volume') {
    mp.Name = resolved.name;
    mp.Driver = 'local';
  }
  return mp;
}

/** HostConfig.PortBindings (+ PublishAllPorts over ExposedPorts) -> requests for the network service. */
export function portRequests(host: HostConfig, exposed: Record<string, object> | undefined): PortBindingRequest[] {
  const out: PortBindingRequest[] = [];
  const bindings = { ...(host.PortBindings ?? {}) };
  if (host.PublishAllPorts)
    for (const p of Object.keys(exposed ?? {})) if (!bindings[p]?.length) bindings[p] = [{ HostIp: '', HostPort: '' }];
  for (const [key, list] of Object.entries(bindings)) {
    const m = /^(\d+)(?:\/(tcp|udp|sctp))?$/.exec(key);
    if (!m) throw new InvalidArgumentError(`invalid port specification: "${key}"`);
    const proto = (m[2] ?? 'tcp') as 'tcp' | 'udp';
    if ((m[2] ?? 'tcp') === 'sctp') throw new InvalidArgumentError('sctp ports are not supported');
    for (const b of list ?? [{}]) {
      const hostPort = b.HostPort ? Number(b.HostPort) : 0;
      if (!Number.isInteger(hostPort) || hostPort < 0 || hostPort > 65535)
        throw new InvalidArgumentError(`invalid port specification: "${b.HostPort}"`);
      out.push({ hostIp: b.HostIp ?? '', hostPort, containerPort: Number(m[1]), proto });
    }
  }
  return out;
}
