// `run`/`create` flags -> the POST /containers/create body, with docker's client-side validation
// and texts (ports, memory, cpus, env files, volumes).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type FlagSpec, type ParsedArgs, UsageError, bool, list, str } from './args';
import { HEALTH_FLAGS, healthcheckFromFlags } from './health-flags';
import { parseMountFlag } from './mount-flag';
import { ramInBytes } from './units';

export const RUN_FLAGS: FlagSpec[] = [
  { name: 'detach', short: 'd', type: 'bool' },
  { name: 'rm', type: 'bool' },
  { name: 'name', type: 'string' },
  { name: 'publish', short: 'p', type: 'list' },
  { name: 'publish-all', short: 'P', type: 'bool' },
  { name: 'env', short: 'e', type: 'list' },
  { name: 'env-file', type: 'list' },
  { name: 'volume', short: 'v', type: 'list' },
  { name: 'mount', type: 'list' },
  { name: 'dns', type: 'list' },
  { name: 'dns-search', type: 'list' },
  { name: 'dns-option', type: 'list' },
  { name: 'workdir', short: 'w', type: 'string' },
  { name: 'user', short: 'u', type: 'string' },
  { name: 'entrypoint', type: 'string' },
  { name: 'cpus', type: 'string' },
  { name: 'memory', short: 'm', type: 'string' },
  { name: 'pids-limit', type: 'string' },
  { name: 'hostname', short: 'h', type: 'string' },
  { name: 'network', type: 'string' },
  { name: 'net', type: 'string' },
  { name: 'network-alias', type: 'list' },
  { name: 'interactive', short: 'i', type: 'bool' },
  { name: 'tty', short: 't', type: 'bool' },
  { name: 'label', short: 'l', type: 'list' },
  { name: 'expose', type: 'list' },
  { name: 'stop-signal', type: 'string' },
  { name: 'stop-timeout', type: 'string' },
  { name: 'restart', type: 'string' },
  { name: 'ip', type: 'string' },
  { name: 'read-only', type: 'bool' },
  { name: 'privileged', type: 'bool' },
  { name: 'init', type: 'bool', ignored: true },
  { name: 'pull', type: 'string' },
  { name: 'quiet', short: 'q', type: 'bool' },
  { name: 'help', type: 'bool' },
  ...HEALTH_FLAGS,
];

export interface PortSpec {
  hostIp: string;
  hostPort: string;
  containerPort: string;
  proto: string;
}

/** `[ip:][hostPort:]containerPort[/proto]` (ip may be [v6]). */
export function parsePublish(spec: string): PortSpec {
  let rest = spec;
  let proto = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    proto = rest.slice(slash + 1).toLowerCase();
    rest = rest.slice(0, slash);
  }
  if (!['tcp', 'udp', 'sctp'].includes(proto)) throw new UsageError(`invalid proto: ${proto}`);
  let hostIp = '';
  let hostPort = '';
  let containerPort: string;
  const v6 = /^\[([^\]]+)\]:(.*)$/.exec(rest);
  if (v6) {
    hostIp = v6[1]!;
    rest = v6[2]!;
  }
  const parts = rest.split(':');
  if (v6) {
    if (parts.length !== 2) throw new UsageError(`invalid port format: ${spec}`);
    [hostPort, containerPort] = parts as [string, string];
  } else if (parts.length === 1) containerPort = parts[0]!;
  else if (parts.length === 2) [hostPort, containerPort] = parts as [string, string];
  else if (parts.length === 3) [hostIp, hostPort, containerPort] = parts as [string, string, string];
  else throw new UsageError(`invalid port format: ${spec}`);
  const portOk = (p: string) => /^\d+$/.test(p) && Number(p) >= 1 && Number(p) <= 65535;
  if (!portOk(containerPort)) throw new UsageError(`invalid containerPort: ${containerPort}`);
  if (hostPort !== '' && !portOk(hostPort)) throw new UsageError(`invalid hostPort: ${hostPort}`);
  if (hostIp !== '' && !/^[\d.]+$|:/.test(hostIp)) throw new UsageError(`invalid IP address: ${hostIp}`);
  return { hostIp, hostPort, containerPort, proto };
}

/** KEY=VALUE lines; `#` comments and blank lines skipped; a bare KEY takes the caller's value. */
export function parseEnvFile(text: string, env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '').replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq === 0) throw new UsageError(`invalid environment variable: ${line}`);
    if (eq < 0) {
      const v = env[line.trim()];
      if (v !== undefined) out.push(`${line.trim()}=${v}`);
    } else out.push(line);
  }
  return out;
}

function expandEnv(e: string, env: NodeJS.ProcessEnv): string | undefined {
  if (e.includes('=')) return e;
  const v = env[e];
  return v === undefined ? undefined : `${e}=${v}`;
}

export interface RunConfig {
  name?: string;
  body: Record<string, unknown>;
  detach: boolean;
  autoRemove: boolean;
  interactive: boolean;
  tty: boolean;
}

export function buildRunConfig(p: ParsedArgs, env: NodeJS.ProcessEnv, cwd: string): RunConfig {
  const [image, ...cmd] = p.positionals;
  if (!image) throw new UsageError('"run" requires at least 1 argument.');

  const envList: string[] = [];
  for (const f of list(p, 'env-file')) envList.push(...parseEnvFile(readFileSync(resolve(cwd, f), 'utf8'), env));
  for (const e of list(p, 'env')) {
    const v = expandEnv(e, env);
    if (v !== undefined) envList.push(v);
  }

  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const spec of list(p, 'publish')) {
    const ps = parsePublish(spec);
    const key = `${ps.containerPort}/${ps.proto}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: ps.hostIp, HostPort: ps.hostPort });
  }
  for (const e of list(p, 'expose')) exposed[e.includes('/') ? e : `${e}/tcp`] = {};

  const hostConfig: Record<string, unknown> = { PortBindings: bindings, PublishAllPorts: bool(p, 'publish-all') };
  const memory = str(p, 'memory');
  if (memory !== undefined) {
    try {
      hostConfig.Memory = ramInBytes(memory);
    } catch (e) {
      throw new UsageError(`invalid argument "${memory}" for "-m, --memory" flag: ${(e as Error).message}`);
    }
  }
  const cpus = str(p, 'cpus');
  if (cpus !== undefined) {
    const n = Number(cpus);
    if (!Number.isFinite(n) || n < 0 || cpus.trim() === '')
      throw new UsageError(
        `invalid argument "${cpus}" for "--cpus" flag: failed to parse ${cpus} as a rational number`,
      );
    hostConfig.NanoCpus = Math.round(n * 1e9);
  }
  const pids = str(p, 'pids-limit');
  if (pids !== undefined) {
    if (!/^-?\d+$/.test(pids))
      throw new UsageError(
        `invalid argument "${pids}" for "--pids-limit" flag: strconv.ParseInt: parsing "${pids}": invalid syntax`,
      );
    hostConfig.PidsLimit = Number(pids);
  }
  const binds = list(p, 'volume');
  if (binds.length) {
    hostConfig.Binds = binds.map((b) => {
      const parts = b.split(':');
      if (parts.length < 2 && !b.startsWith('/')) throw new UsageError(`invalid volume specification: '${b}'`);
      // A relative host path is an error in docker (it would be a volume name); resolve ./x like compose does not.
      return b;
    });
  }
  for (const [flag, key] of [
    ['dns', 'Dns'],
    ['dns-search', 'DnsSearch'],
    ['dns-option', 'DnsOptions'],
  ] as const) {
    const v = list(p, flag);
    if (v.length) hostConfig[key] = v;
  }
  const mounts = list(p, 'mount');
  if (mounts.length) hostConfig.Mounts = mounts.map(parseMountFlag);
  const network = str(p, 'network') ?? str(p, 'net');
  if (network) hostConfig.NetworkMode = network;
  const restart = str(p, 'restart');
  if (restart) {
    const [name, count] = restart.split(':');
    hostConfig.RestartPolicy = { Name: name, MaximumRetryCount: count ? Number(count) : 0 };
  }
  if (bool(p, 'read-only')) hostConfig.ReadonlyRootfs = true;
  if (bool(p, 'privileged')) hostConfig.Privileged = true;
  const detach = bool(p, 'detach');
  const autoRemove = bool(p, 'rm');
  // Detached --rm: only the daemon can remove it. Attached: the CLI removes after the wait.
  if (autoRemove && detach) hostConfig.AutoRemove = true;
  if (autoRemove && restart && restart !== 'no') throw new UsageError('Conflicting options: --restart and --rm');

  const labels: Record<string, string> = {};
  for (const l of list(p, 'label')) {
    const eq = l.indexOf('=');
    labels[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? '' : l.slice(eq + 1);
  }

  const endpoints: Record<string, unknown> = {};
  const aliases = list(p, 'network-alias');
  const ip = str(p, 'ip');
  if (network && (aliases.length || ip))
    endpoints[network] = { Aliases: aliases, IPAMConfig: ip ? { IPv4Address: ip } : null };

  const interactive = bool(p, 'interactive');
  const tty = bool(p, 'tty');
  const body: Record<string, unknown> = {
    Image: image,
    Cmd: cmd.length ? cmd : null,
    Env: envList,
    Labels: labels,
    ExposedPorts: exposed,
    Tty: tty,
    OpenStdin: interactive,
    StdinOnce: interactive,
    AttachStdin: interactive && !detach,
    AttachStdout: !detach,
    AttachStderr: !detach,
    HostConfig: hostConfig,
    NetworkingConfig: { EndpointsConfig: endpoints },
  };
  const entrypoint = str(p, 'entrypoint');
  if (entrypoint !== undefined) body.Entrypoint = entrypoint === '' ? [''] : [entrypoint];
  const workdir = str(p, 'workdir');
  if (workdir !== undefined) body.WorkingDir = workdir;
  const user = str(p, 'user');
  if (user !== undefined) body.User = user;
  const hostname = str(p, 'hostname');
  if (hostname !== undefined) body.Hostname = hostname;
  const stopSignal = str(p, 'stop-signal');
  if (stopSignal) body.StopSignal = stopSignal;
  const stopTimeout = str(p, 'stop-timeout');
  if (stopTimeout) body.StopTimeout = Number(stopTimeout);
  const healthcheck = healthcheckFromFlags(p);
  if (healthcheck) body.Healthcheck = healthcheck;
  return { name: str(p, 'name'), body, detach, autoRemove, interactive, tty };
}
