import { z } from 'zod';
import { parseBytes, parseCpus, parseDuration, parseFileMode } from './units';

// The compose keys a swarm stack understands (compose file 3.x and the compose spec), validated
// at the edge. Values stay close to the file; normalize.ts turns them into service specs.

const str = z.string();
const num = z.number();
const strOrNum = z.union([str, num]).transform((v) => String(v));
const listOrString = z.union([str, z.array(str)]);
const stringMap = z.record(
  str,
  z.union([str, num, z.boolean(), z.null()]).transform((v) => (v === null ? null : String(v))),
);
/** `environment`, `labels`, `extra_hosts`: either ["K=V", ...] or {K: V}. */
const listOrMap = z.union([z.array(strOrNum), stringMap]);

const refine = <T>(fn: (v: string | number) => T, what: string) =>
  z.union([str, num]).superRefine((v, ctx) => {
    try {
      fn(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: `invalid ${what}: ${(e as Error).message}` });
    }
  });
const duration = refine(parseDuration, 'duration');
const bytes = refine(parseBytes, 'size');
const cpus = refine(parseCpus, 'cpus');

/** Interpolated values arrive as strings ("${N:-3}"): numeric text counts as a number. */
const numeric = <T extends z.ZodType>(t: T) =>
  z.preprocess((v) => (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v), t);
const boolish = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());

const nonNegInt = numeric(
  z.number().int('expected an integer').nonnegative('must not be negative (use 0 to stop every task)'),
);

const portLong = z.strictObject({
  target: numeric(z.number().int().min(1).max(65535)),
  published: z.union([numeric(z.number().int().min(0).max(65535)), str]).optional(),
  protocol: z.enum(['tcp', 'udp', 'sctp']).optional(),
  mode: z.enum(['ingress', 'host']).optional(),
  host_ip: str.optional(),
  name: str.optional(),
  app_protocol: str.optional(),
});

const volumeLong = z.strictObject({
  type: z.enum(['bind', 'volume', 'tmpfs', 'npipe']),
  source: str.optional(),
  target: str,
  read_only: boolish.optional(),
  consistency: str.optional(),
  bind: z.object({ propagation: str.optional(), create_host_path: z.boolean().optional() }).optional(),
  volume: z.object({ nocopy: z.boolean().optional() }).optional(),
  tmpfs: z.object({ size: bytes.optional(), mode: num.optional() }).optional(),
});

const updateConfig = z.strictObject({
  parallelism: nonNegInt.optional(),
  delay: duration.optional(),
  failure_action: z.enum(['continue', 'rollback', 'pause']).optional(),
  monitor: duration.optional(),
  max_failure_ratio: numeric(z.number().min(0).max(1)).optional(),
  order: z.enum(['stop-first', 'start-first']).optional(),
});

const resourceSet = z.strictObject({
  cpus: cpus.optional(),
  memory: bytes.optional(),
  pids: numeric(z.number().int()).optional(),
  generic_resources: z.array(z.unknown()).optional(),
  devices: z.array(z.unknown()).optional(),
});

export const deploySchema = z.strictObject({
  mode: z.enum(['replicated', 'global', 'replicated-job', 'global-job']).optional(),
  replicas: nonNegInt.optional(),
  labels: listOrMap.optional(),
  endpoint_mode: z.enum(['vip', 'dnsrr']).optional(),
  resources: z.strictObject({ limits: resourceSet.optional(), reservations: resourceSet.optional() }).optional(),
  restart_policy: z
    .strictObject({
      condition: z.enum(['none', 'on-failure', 'any']).optional(),
      delay: duration.optional(),
      max_attempts: nonNegInt.optional(),
      window: duration.optional(),
    })
    .optional(),
  placement: z
    .strictObject({
      constraints: z.array(str).optional(),
      preferences: z.array(z.strictObject({ spread: str })).optional(),
      max_replicas_per_node: nonNegInt.optional(),
    })
    .optional(),
  update_config: updateConfig.optional(),
  rollback_config: updateConfig.optional(),
});

export const healthcheckSchema = z.strictObject({
  test: listOrString.optional(),
  interval: duration.optional(),
  timeout: duration.optional(),
  retries: nonNegInt.optional(),
  start_period: duration.optional(),
  start_interval: duration.optional(),
  disable: z.boolean().optional(),
});

/** Keys a swarm stack cannot use: docker warns "Ignoring unsupported options: ..." and goes on. */
export const UNSUPPORTED_SERVICE_KEYS = [
  'build',
  'cgroup_parent',
  'container_name',
  'depends_on',
  'devices',
  'external_links',
  'links',
  'network_mode',
  'restart',
  'security_opt',
  'userns_mode',
  'cpu_shares',
  'cpu_quota',
  'cpuset',
  'mem_limit',
  'memswap_limit',
  'privileged',
  'shm_size',
  'volumes_from',
  'pid',
  'ipc',
  'profiles',
  'pull_policy',
  'domainname',
  'mac_address',
  'oom_score_adj',
  'logging',
  'sysctls',
  'ulimits',
  'cap_add',
  'cap_drop',
  'dns',
  'dns_search',
  'stdin_open',
  'tty',
  'read_only',
  'tmpfs',
  'expose',
  'isolation',
] as const;

/**
 * A file's mode: a number (YAML 1.1 octal `0440` reads as octal, as in docker's go-yaml) or a
 * string in Go's base-0 syntax ("0440", "0o440", "288").
 */
export const fileMode = z.union([num, str]).superRefine((v, ctx) => {
  if (parseFileMode(v) === undefined)
    ctx.addIssue({ code: 'custom', message: `invalid mode ${JSON.stringify(v)}: use an octal file mode like 0440` });
});

/** A service's use of a secret or config: `- name` or `{source, target, uid, gid, mode}`. */
const fileReference = z.union([
  str,
  z.strictObject({
    source: str,
    target: str.optional(),
    uid: strOrNum.optional(),
    gid: strOrNum.optional(),
    mode: fileMode.optional(),
  }),
]);

/** Top-level `secrets:` / `configs:` entries (compose 3.x and the compose spec). */
export const fileObjectSchema = z
  .strictObject({
    file: str.optional(),
    environment: str.optional(),
    external: z.union([boolish, z.strictObject({ name: str.optional() })]).optional(),
    name: str.optional(),
    labels: listOrMap.optional(),
    template_driver: str.optional(),
    driver: str.optional(),
    driver_opts: z.record(str, strOrNum).optional(),
  })
  .nullable();

export const serviceSchema = z.strictObject({
  image: str.optional(),
  command: listOrString.nullable().optional(),
  entrypoint: listOrString.nullable().optional(),
  environment: listOrMap.optional(),
  env_file: listOrString.optional(),
  ports: z.array(z.union([strOrNum, portLong])).optional(),
  deploy: deploySchema.optional(),
  healthcheck: healthcheckSchema.optional(),
  stop_grace_period: duration.optional(),
  stop_signal: str.optional(),
  hostname: str.optional(),
  user: strOrNum.optional(),
  working_dir: str.optional(),
  labels: listOrMap.optional(),
  volumes: z.array(z.union([str, volumeLong])).optional(),
  networks: z
    .union([
      z.array(str),
      z.record(str, z.strictObject({ aliases: z.array(str).optional(), ipv4_address: str.optional() }).nullable()),
    ])
    .optional(),
  extra_hosts: listOrMap.optional(),
  init: boolish.optional(),
  configs: z.array(fileReference).optional(),
  secrets: z.array(fileReference).optional(),
  // Accepted so they can be reported as unsupported rather than unknown.
  ...Object.fromEntries(UNSUPPORTED_SERVICE_KEYS.map((k) => [k, z.unknown().optional()])),
});

const externalOrName = { external: z.union([z.boolean(), z.object({ name: str })]).optional(), name: str.optional() };

export const networkSchema = z
  .strictObject({
    driver: str.optional(),
    driver_opts: z.record(str, strOrNum).optional(),
    attachable: z.boolean().optional(),
    internal: z.boolean().optional(),
    labels: listOrMap.optional(),
    ipam: z
      .strictObject({
        driver: str.optional(),
        config: z.array(z.object({ subnet: str.optional(), gateway: str.optional() })).optional(),
      })
      .optional(),
    ...externalOrName,
  })
  .nullable();

export const volumeSchema = z
  .strictObject({
    driver: str.optional(),
    driver_opts: z.record(str, strOrNum).optional(),
    labels: listOrMap.optional(),
    ...externalOrName,
  })
  .nullable();

const serviceName = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export const composeSchema = z.strictObject({
  version: strOrNum.optional(),
  name: str.optional(),
  services: z.record(str.regex(serviceName, 'invalid service name'), serviceSchema.nullable()).optional(),
  networks: z.record(str, networkSchema).optional(),
  volumes: z.record(str, volumeSchema).optional(),
  secrets: z.record(str, fileObjectSchema).optional(),
  configs: z.record(str, fileObjectSchema).optional(),
});

export type ComposeFile = z.infer<typeof composeSchema>;
export type ComposeService = z.infer<typeof serviceSchema>;
export type ComposeDeploy = z.infer<typeof deploySchema>;
export type ComposeFileObject = NonNullable<z.infer<typeof fileObjectSchema>>;
export type ComposeFileReference = z.infer<typeof fileReference>;
