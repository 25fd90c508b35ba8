// The control API's input checks: request bodies (zod, refusals name the field path) and the rules
// dockerd applies to a service spec before it touches the store. The one place a spec is validated.
import { z } from 'zod';
import type { ConfigReference, ContainerSpec, ReferenceFile, SecretReference, ServiceSpec } from '../types';
import { parseConstraint } from '../scheduler/constraints';
import { InvalidSpecError } from './errors';

/** Parses `input` with `schema`; a refusal names the field path, in the daemon's words for bodies. */
export function parseBody<T>(schema: z.ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue && issue.path.length ? issue.path.join('.') : 'body';
  throw new InvalidSpecError(`invalid request body: ${where}: ${issue?.message ?? 'invalid'}`);
}

/** A field docker's API defines that is kept as sent here; the rules below check what the manager acts on. */
const kept = <T>() => z.custom<T>().optional();

/** A secret's or config's file in the container (docker's UID/GID are strings, Mode a number). */
const referenceFile = z.object({
  Name: z.string().optional(),
  UID: z.string().optional(),
  GID: z.string().optional(),
  Mode: z.number().int().min(0).max(0o7777).optional(),
});
/** flotilla's pinned data version: left out, the control API pins it. */
const dataVersion = z.number().int().min(1).optional();
const secretReference = z.object({
  File: referenceFile.nullish(),
  SecretID: z.string().optional(),
  SecretName: z.string().optional(),
  DataVersion: dataVersion,
});
const configReference = z.object({
  File: referenceFile.nullish(),
  Runtime: z.object({}).passthrough().nullish(),
  ConfigID: z.string().optional(),
  ConfigName: z.string().optional(),
  DataVersion: dataVersion,
});

/** The value of `key` in `o`, its name matched regardless of case like Go's JSON decoding (exact name first). */
function fieldOf(o: Record<string, unknown>, key: string): unknown {
  if (key in o) return o[key];
  const k = Object.keys(o).find((n) => n.toLowerCase() === key.toLowerCase());
  return k === undefined ? undefined : o[k];
}

/**
 * A ServiceMode as dockerd reads it: field names in any case (the Docker SDK for Python sends
 * `{"replicated": {}}`), and a replicated mode without Replicas (the docker CLI without
 * `--replicas` sends `{"Replicated": {}}`) means 1 replica. Anything else is left for the schema.
 */
function canonicalMode(mode: unknown): unknown {
  if (mode === null) return undefined;
  if (typeof mode !== 'object' || Array.isArray(mode)) return mode;
  const m = mode as Record<string, unknown>;
  const replicated = fieldOf(m, 'Replicated');
  const global = fieldOf(m, 'Global');
  if (replicated !== undefined && replicated !== null && global === undefined) {
    if (typeof replicated !== 'object' || Array.isArray(replicated)) return { Replicated: replicated };
    const replicas = fieldOf(replicated as Record<string, unknown>, 'Replicas');
    return { Replicated: { Replicas: replicas ?? 1 } };
  }
  if (global !== undefined && global !== null && replicated === undefined) return { Global: global };
  return mode;
}

/** The shape of a ServiceSpec body: what must be there (name, image, a well-formed mode); the rest as sent. */
const serviceSpecBody = z
  .object({
    Name: z.string(),
    Labels: kept<ServiceSpec['Labels']>(),
    TaskTemplate: z
      .object({
        ContainerSpec: z
          .object({
            Image: z.string(),
            Secrets: z.array(secretReference).nullish(),
            Configs: z.array(configReference).nullish(),
          })
          .passthrough(),
        Resources: kept<ServiceSpec['TaskTemplate']['Resources']>(),
        RestartPolicy: kept<ServiceSpec['TaskTemplate']['RestartPolicy']>(),
        Placement: kept<ServiceSpec['TaskTemplate']['Placement']>(),
        Networks: kept<ServiceSpec['TaskTemplate']['Networks']>(),
        ForceUpdate: kept<number>(),
      })
      .passthrough(),
    Mode: z.preprocess(
      canonicalMode,
      z
        .union([
          z.object({ Replicated: z.object({ Replicas: z.number() }) }),
          z.object({ Global: z.object({}).passthrough() }),
        ])
        .optional(),
    ),
    UpdateConfig: kept<ServiceSpec['UpdateConfig']>(),
    RollbackConfig: kept<ServiceSpec['RollbackConfig']>(),
    EndpointSpec: kept<ServiceSpec['EndpointSpec']>(),
  })
  .passthrough();

/** A service spec as a client sent it, its shape checked (the mode may be left out). */
export type ServiceSpecBody = z.infer<typeof serviceSpecBody>;

export function parseServiceSpec(input: unknown): ServiceSpecBody {
  return parseBody(serviceSpecBody, input);
}

type FileBody = z.infer<typeof referenceFile> | null | undefined;

/** A reference's file with the CLI's defaults (uid and gid 0, mode 0444) where the body left them out. */
function normalizeFile(f: FileBody): ReferenceFile | undefined {
  if (!f) return undefined;
  return { Name: f.Name ?? '', UID: f.UID ?? '0', GID: f.GID ?? '0', Mode: f.Mode ?? 0o444 };
}

/** A ContainerSpec's secret and config references as stored: null lists dropped, files filled in. */
function normalizeReferences(c: ServiceSpecBody['TaskTemplate']['ContainerSpec']): ContainerSpec {
  const { Secrets, Configs, ...rest } = c;
  const out = rest as ContainerSpec;
  if (Secrets)
    out.Secrets = Secrets.map(({ File, ...r }) => {
      const file = normalizeFile(File);
      return { ...(r as SecretReference), ...(file ? { File: file } : {}) };
    });
  if (Configs)
    out.Configs = Configs.map(({ File, Runtime, ...r }) => {
      const file = normalizeFile(File);
      return { ...(r as ConfigReference), ...(file ? { File: file } : {}), ...(Runtime ? { Runtime } : {}) };
    });
  return out;
}

/** Fills docker's defaults so stored specs compare equal whatever the client left out. */
export function normalizeServiceSpec(spec: ServiceSpecBody): ServiceSpec {
  return {
    ...spec,
    Mode: spec.Mode ?? { Replicated: { Replicas: 1 } },
    TaskTemplate: {
      ...spec.TaskTemplate,
      ContainerSpec: normalizeReferences(spec.TaskTemplate.ContainerSpec),
      ForceUpdate: spec.TaskTemplate?.ForceUpdate ?? 0,
    },
    EndpointSpec: {
      Mode: spec.EndpointSpec?.Mode ?? 'vip',
      ...(spec.EndpointSpec?.Ports?.length ? { Ports: spec.EndpointSpec.Ports } : {}),
    },
  };
}

/** `POST /nodes/{id}/update` body: docker's NodeSpec. */
const nodeSpecBody = z.object({
  Name: z.string().optional(),
  Labels: z.record(z.string(), z.string()).optional(),
  Role: z.enum(['worker', 'manager']),
  Availability: z.enum(['active', 'pause', 'drain']),
});

export type NodeSpecBody = z.infer<typeof nodeSpecBody>;

export function parseNodeSpec(input: unknown): NodeSpecBody {
  return parseBody(nodeSpecBody, input);
}

const NAME = /^[a-zA-Z0-9](?:[a-zA-Z0-9_.-]{0,62})$/;

/** Checks a service spec the way dockerd does before it touches the store. */
export function validateServiceSpec(spec: ServiceSpec): void {
  if (!spec || typeof spec !== 'object') throw new InvalidSpecError('service spec is missing');
  if (!spec.Name || !NAME.test(spec.Name)) {
    throw new InvalidSpecError(
      `invalid name "${spec.Name ?? ''}": use 1-63 letters, digits, "_", "." or "-", starting with a letter or digit`,
    );
  }
  const image = spec.TaskTemplate?.ContainerSpec?.Image;
  if (!image || !image.trim())
    throw new InvalidSpecError(`service ${spec.Name}: ContainerSpec: image reference must be provided`);
  const mode = spec.Mode ?? { Replicated: { Replicas: 1 } };
  if ('Replicated' in mode) {
    const r = mode.Replicated.Replicas;
    if (!Number.isInteger(r) || r < 0)
      throw new InvalidSpecError(
        `invalid replicas value for service ${spec.Name}: ${r}: replicas must be a non-negative integer`,
      );
  }
  for (const c of spec.TaskTemplate.Placement?.Constraints ?? []) {
    try {
      parseConstraint(c);
    } catch (e) {
      throw new InvalidSpecError((e as Error).message);
    }
  }
  const endpointMode = spec.EndpointSpec?.Mode;
  if (endpointMode !== undefined && endpointMode !== 'vip' && endpointMode !== 'dnsrr')
    throw new InvalidSpecError(`invalid endpoint mode "${String(endpointMode)}": use vip or dnsrr`);
  const seen = new Set<string>();
  for (const p of spec.EndpointSpec?.Ports ?? []) {
    // dockerd's text: a dnsrr service has no VIP, so there is nothing the ingress mesh could balance to.
    if (endpointMode === 'dnsrr' && (p.PublishMode ?? 'ingress') === 'ingress')
      throw new InvalidSpecError("port published with ingress mode can't be used with dnsrr mode");
    if (!Number.isInteger(p.TargetPort) || p.TargetPort < 1 || p.TargetPort > 65535)
      throw new InvalidSpecError(`invalid target port ${p.TargetPort}: ports are 1-65535`);
    if (
      p.PublishedPort !== undefined &&
      (!Number.isInteger(p.PublishedPort) || p.PublishedPort < 0 || p.PublishedPort > 65535)
    ) {
      throw new InvalidSpecError(`invalid published port ${p.PublishedPort}: ports are 0-65535`);
    }
    if (p.PublishedPort) {
      const key = `${p.PublishedPort}/${p.Protocol ?? 'tcp'}`;
      if (seen.has(key)) throw new InvalidSpecError(`duplicate published port ${key} in service ${spec.Name}`);
      seen.add(key);
    }
  }
  validateSecretReferences(spec.TaskTemplate.ContainerSpec.Secrets ?? []);
  validateConfigReferences(spec.TaskTemplate.ContainerSpec.Configs ?? []);
  const res = spec.TaskTemplate.Resources;
  for (const [kind, set] of Object.entries(res ?? {})) {
    if (set?.NanoCPUs !== undefined && set.NanoCPUs < 0)
      throw new InvalidSpecError(`invalid ${kind} cpus: must not be negative`);
    if (set?.MemoryBytes !== undefined && set.MemoryBytes !== 0 && set.MemoryBytes < 6 * 1024 * 1024) {
      throw new InvalidSpecError(`invalid ${kind} memory: the minimum is 6MB`);
    }
  }
}

/** swarmkit's rules: ID and name given, a file target with a name, no two secrets at one target. */
function validateSecretReferences(refs: SecretReference[]): void {
  const targets = new Map<string, string>();
  for (const r of refs) {
    if (!r.SecretID || !r.SecretName) throw new InvalidSpecError('malformed secret reference');
    if (!r.File) throw new InvalidSpecError('malformed secret reference, no target provided');
    if (!r.File.Name) throw new InvalidSpecError('malformed file secret reference, invalid target file name provided');
    const prev = targets.get(r.File.Name);
    if (prev !== undefined)
      throw new InvalidSpecError(
        `secret references '${prev}' and '${r.SecretName}' have a conflicting target: '${r.File.Name}'`,
      );
    targets.set(r.File.Name, r.SecretName);
  }
}

/** The same for configs, whose target may also be Runtime (no file: a credential spec's config). */
function validateConfigReferences(refs: ConfigReference[]): void {
  const targets = new Map<string, string>();
  for (const r of refs) {
    if (!r.ConfigID || !r.ConfigName) throw new InvalidSpecError('malformed config reference');
    if (!r.File && !r.Runtime) throw new InvalidSpecError('malformed config reference, no target provided');
    if (!r.File) continue;
    if (!r.File.Name) throw new InvalidSpecError('malformed file config reference, invalid target file name provided');
    const prev = targets.get(r.File.Name);
    if (prev !== undefined)
      throw new InvalidSpecError(
        `config references '${prev}' and '${r.ConfigName}' have a conflicting target: '${r.File.Name}'`,
      );
    targets.set(r.File.Name, r.ConfigName);
  }
}
