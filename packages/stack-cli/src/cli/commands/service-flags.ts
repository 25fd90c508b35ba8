// service create/update flags: docker's flag set and how each one changes a service spec.
import type { PortConfig } from '@flotilla/manager';
import { parseDuration } from '../../compose/units';
import { UsageError, list, type parseArgs, str, type FlagSpec } from '../args';
import { HEALTH_FLAGS, healthcheckFromFlags } from '../health-flags';
import { keyValues } from '../key-values';
import { ramInBytes } from '../units';
import type { ApiService } from './swarm-shapes';

export const SPEC_FLAGS: FlagSpec[] = [
  { name: 'name', type: 'string' },
  { name: 'replicas', type: 'string' },
  { name: 'mode', type: 'string' },
  { name: 'publish', short: 'p', type: 'list' },
  { name: 'env', short: 'e', type: 'list' },
  { name: 'label', short: 'l', type: 'list' },
  { name: 'container-label', type: 'list' },
  { name: 'limit-cpu', type: 'string' },
  { name: 'limit-memory', type: 'string' },
  { name: 'limit-pids', type: 'string' },
  { name: 'reserve-cpu', type: 'string' },
  { name: 'reserve-memory', type: 'string' },
  { name: 'restart-condition', type: 'string' },
  { name: 'restart-delay', type: 'string' },
  { name: 'restart-max-attempts', type: 'string' },
  { name: 'restart-window', type: 'string' },
  { name: 'constraint', type: 'list' },
  { name: 'placement-pref', type: 'list' },
  { name: 'replicas-max-per-node', type: 'string' },
  { name: 'network', type: 'list' },
  { name: 'endpoint-mode', type: 'string' },
  { name: 'mount', type: 'list' },
  { name: 'update-parallelism', type: 'string' },
  { name: 'update-delay', type: 'string' },
  { name: 'update-order', type: 'string' },
  { name: 'update-failure-action', type: 'string' },
  { name: 'update-monitor', type: 'string' },
  { name: 'update-max-failure-ratio', type: 'string' },
  { name: 'rollback-parallelism', type: 'string' },
  { name: 'rollback-delay', type: 'string' },
  { name: 'rollback-order', type: 'string' },
  { name: 'rollback-failure-action', type: 'string' },
  { name: 'rollback-monitor', type: 'string' },
  { name: 'rollback-max-failure-ratio', type: 'string' },
  { name: 'hostname', type: 'string' },
  { name: 'workdir', short: 'w', type: 'string' },
  { name: 'user', short: 'u', type: 'string' },
  { name: 'entrypoint', type: 'string' },
  { name: 'stop-grace-period', type: 'string' },
  { name: 'stop-signal', type: 'string' },
  { name: 'detach', short: 'd', type: 'bool' },
  { name: 'quiet', short: 'q', type: 'bool' },
  { name: 'with-registry-auth', type: 'bool' },
  ...HEALTH_FLAGS,
];

/** Go durations ("10s", "1m30s", "500ms") to nanoseconds, with docker's flag error. */
function duration(v: string, flag: string): number {
  try {
    return parseDuration(v);
  } catch {
    throw new UsageError(`invalid argument "${v}" for "--${flag}" flag: time: invalid duration "${v}"`);
  }
}

function int(v: string, flag: string): number {
  const n = Number(v);
  if (!/^-?\d+$/.test(v))
    throw new UsageError(
      `invalid argument "${v}" for "--${flag}" flag: strconv.ParseUint: parsing "${v}": invalid syntax`,
    );
  return n;
}

/** -p 4000:80, -p 4000:80/udp, -p published=4000,target=80,mode=host */
function parsePublish(v: string): PortConfig {
  if (v.includes('=')) {
    const o = Object.fromEntries(v.split(',').map((kv) => kv.split('=', 2) as [string, string]));
    if (!o.target) throw new UsageError(`invalid argument "${v}" for "-p, --publish" flag: missing target port`);
    // protocol= and mode= go to the daemon as written, unchecked as before (docker's CLI rejects
    // other values; the manager's spec validator is the place for that check).
    return {
      Protocol: (o.protocol ?? 'tcp') as PortConfig['Protocol'],
      TargetPort: Number(o.target),
      ...(o.published ? { PublishedPort: Number(o.published) } : {}),
      PublishMode: (o.mode ?? 'ingress') as PortConfig['PublishMode'],
    };
  }
  const m = /^(?:(\d+):)?(\d+)(?:\/(tcp|udp|sctp))?$/.exec(v);
  if (!m) throw new UsageError(`invalid argument "${v}" for "-p, --publish" flag: use PUBLISHED:TARGET[/PROTOCOL]`);
  return {
    Protocol: (m[3] as PortConfig['Protocol'] | undefined) ?? 'tcp', // the pattern allows tcp, udp and sctp only
    TargetPort: Number(m[2]),
    ...(m[1] ? { PublishedPort: Number(m[1]) } : {}),
    PublishMode: 'ingress',
  };
}

function parseMount(v: string): Record<string, unknown> {
  const o = Object.fromEntries(v.split(',').map((kv) => kv.split('=', 2) as [string, string]));
  const target = o.target ?? o.destination ?? o.dst;
  if (!target) throw new UsageError(`invalid argument "${v}" for "--mount" flag: target is required`);
  return {
    Type: o.type ?? 'volume',
    Source: o.source ?? o.src,
    Target: target,
    ReadOnly: o.readonly === 'true' || 'readonly' in o || o.ro === 'true',
  };
}

/** A service spec as the CLI edits it: the API's shape, open to fields the CLI does not name. */
export type Spec = ApiService['Spec'] & Record<string, unknown>;

/** Applies create/update flags to a spec (docker's service create/update flag semantics). */
export function applyFlags(p: ReturnType<typeof parseArgs>, spec: Spec, isUpdate: boolean): void {
  const tt = spec.TaskTemplate as Record<string, unknown> & { ContainerSpec: Record<string, unknown> };
  const cs = tt.ContainerSpec;
  const set = (flag: string, fn: (v: string) => void) => {
    const v = str(p, flag);
    if (v !== undefined) fn(v);
  };
  set('replicas', (v) => {
    const n = int(v, 'replicas');
    if (n < 0) throw new UsageError(`invalid replicas value ${v}: replicas must be a non-negative integer`);
    spec.Mode = { Replicated: { Replicas: n } };
  });
  set('mode', (v) => {
    if (v === 'global') spec.Mode = { Global: {} };
    else if (v === 'replicated') spec.Mode = { Replicated: { Replicas: spec.Mode.Replicated?.Replicas ?? 1 } };
    else throw new UsageError(`invalid mode "${v}": use replicated or global`);
  });
  // Like docker, an update changes only the health settings it names.
  const hc = healthcheckFromFlags(p);
  if (hc)
    cs.Healthcheck = hc.Test?.[0] === 'NONE' || !isUpdate ? hc : { ...(cs.Healthcheck as object | undefined), ...hc };
  if (list(p, 'env').length) cs.Env = [...(isUpdate ? ((cs.Env as string[]) ?? []) : []), ...list(p, 'env')];
  if (list(p, 'container-label').length)
    cs.Labels = { ...(cs.Labels as object), ...keyValues(list(p, 'container-label')) };
  if (list(p, 'label').length) spec.Labels = { ...spec.Labels, ...keyValues(list(p, 'label')) };
  set('hostname', (v) => (cs.Hostname = v));
  set('workdir', (v) => (cs.Dir = v));
  set('user', (v) => (cs.User = v));
  set('entrypoint', (v) => (cs.Command = v.split(/\s+/).filter(Boolean)));
  set('stop-grace-period', (v) => (cs.StopGracePeriod = duration(v, 'stop-grace-period')));
  set('stop-signal', (v) => (cs.StopSignal = v));
  if (list(p, 'mount').length) cs.Mounts = list(p, 'mount').map(parseMount);
  const res = (tt.Resources ?? {}) as { Limits?: Record<string, number>; Reservations?: Record<string, number> };
  set('limit-cpu', (v) => (res.Limits = { ...res.Limits, NanoCPUs: Math.round(Number(v) * 1e9) }));
  set('limit-memory', (v) => (res.Limits = { ...res.Limits, MemoryBytes: ramInBytes(v) }));
  set('limit-pids', (v) => (res.Limits = { ...res.Limits, Pids: int(v, 'limit-pids') }));
  set('reserve-cpu', (v) => (res.Reservations = { ...res.Reservations, NanoCPUs: Math.round(Number(v) * 1e9) }));
  set('reserve-memory', (v) => (res.Reservations = { ...res.Reservations, MemoryBytes: ramInBytes(v) }));
  if (res.Limits || res.Reservations) tt.Resources = res;
  const rp = (tt.RestartPolicy ?? {}) as Record<string, unknown>;
  set('restart-condition', (v) => {
    if (!['none', 'on-failure', 'any'].includes(v))
      throw new UsageError(`invalid restart condition "${v}": use none, on-failure or any`);
    rp.Condition = v;
  });
  set('restart-delay', (v) => (rp.Delay = duration(v, 'restart-delay')));
  set('restart-max-attempts', (v) => (rp.MaxAttempts = int(v, 'restart-max-attempts')));
  set('restart-window', (v) => (rp.Window = duration(v, 'restart-window')));
  if (Object.keys(rp).length) tt.RestartPolicy = rp;
  const pl = (tt.Placement ?? {}) as Record<string, unknown>;
  if (list(p, 'constraint').length)
    pl.Constraints = [...(isUpdate ? ((pl.Constraints as string[]) ?? []) : []), ...list(p, 'constraint')];
  if (list(p, 'placement-pref').length)
    pl.Preferences = list(p, 'placement-pref').map((v) => ({
      Spread: { SpreadDescriptor: v.replace(/^spread=/, '') },
    }));
  set('replicas-max-per-node', (v) => (pl.MaxReplicas = int(v, 'replicas-max-per-node')));
  if (Object.keys(pl).length) tt.Placement = pl;
  if (list(p, 'network').length) tt.Networks = list(p, 'network').map((n) => ({ Target: n }));
  const uc = (spec.UpdateConfig ?? {}) as Record<string, unknown>;
  set('update-parallelism', (v) => (uc.Parallelism = int(v, 'update-parallelism')));
  set('update-delay', (v) => (uc.Delay = duration(v, 'update-delay')));
  set('update-order', (v) => (uc.Order = v));
  set('update-failure-action', (v) => (uc.FailureAction = v));
  set('update-monitor', (v) => (uc.Monitor = duration(v, 'update-monitor')));
  set('update-max-failure-ratio', (v) => (uc.MaxFailureRatio = Number(v)));
  if (Object.keys(uc).length) spec.UpdateConfig = uc;
  const rc = (spec.RollbackConfig ?? {}) as Record<string, unknown>;
  set('rollback-parallelism', (v) => (rc.Parallelism = int(v, 'rollback-parallelism')));
  set('rollback-delay', (v) => (rc.Delay = duration(v, 'rollback-delay')));
  set('rollback-order', (v) => (rc.Order = v));
  set('rollback-failure-action', (v) => (rc.FailureAction = v));
  set('rollback-monitor', (v) => (rc.Monitor = duration(v, 'rollback-monitor')));
  set('rollback-max-failure-ratio', (v) => (rc.MaxFailureRatio = Number(v)));
  if (Object.keys(rc).length) spec.RollbackConfig = rc;
  set('endpoint-mode', (v) => {
    if (v !== 'vip' && v !== 'dnsrr') throw new UsageError(`invalid endpoint mode "${v}": use vip or dnsrr`);
    spec.EndpointSpec = { ...(spec.EndpointSpec ?? {}), Mode: v };
  });
  if (list(p, 'publish').length) {
    const ports = list(p, 'publish').map(parsePublish);
    spec.EndpointSpec = {
      ...(spec.EndpointSpec ?? {}),
      Ports: isUpdate
        ? [
            ...(spec.EndpointSpec?.Ports ?? []).filter((x) => !ports.some((y) => y.PublishedPort === x.PublishedPort)),
            ...ports,
          ]
        : ports,
    };
  }
}
