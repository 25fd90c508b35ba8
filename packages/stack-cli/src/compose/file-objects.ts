// Top-level `secrets:` / `configs:` and a service's use of them, converted to docker's
// SecretSpec/ConfigSpec and SecretReference/ConfigReference (pure: files come through ctx).
import { isAbsolute, resolve } from 'node:path';
import type { ConfigReference, ConfigSpec, SecretReference, SecretSpec, ServiceSpec } from '@flotilla/manager';
import { ConvertError } from './errors';
import type { ComposeFile, ComposeFileObject, ComposeFileReference } from './schema';
import { listOrMapToMap } from './merge';
import { parseFileMode } from './units';

export type FileObjectKind = 'secret' | 'config';
type SpecOf<K extends FileObjectKind> = K extends 'secret' ? SecretSpec : ConfigSpec;

export interface FileObjectContext {
  namespace: string;
  /** The namespace label's key (com.docker.stack.namespace). */
  namespaceLabel: string;
  workingDir: string;
  env: Record<string, string | undefined>;
  readBytes: (path: string) => Buffer;
}

/** The secrets (or configs) of a stack: what to create, what must already exist, and key -> name. */
export interface StackFileObjects<K extends FileObjectKind> {
  /** Specs to create or update, Data in base64. */
  create: SpecOf<K>[];
  /** Names of `external: true` objects: they must exist. */
  external: string[];
  /** Compose key -> object name. */
  names: Map<string, string>;
}

/** Converts the top-level `secrets:` or `configs:` of a merged compose file. */
export function convertFileObjects<K extends FileObjectKind>(
  kind: K,
  declared: Record<string, ComposeFileObject | null> | undefined,
  ctx: FileObjectContext,
): StackFileObjects<K> {
  const top = `${kind}s`;
  const out: StackFileObjects<K> = { create: [], external: [], names: new Map() };
  for (const [key, o] of Object.entries(declared ?? {})) {
    const at = (...p: string[]) => [top, key, ...p];
    const obj = o ?? {};
    const external = obj.external;
    if (external === true || (typeof external === 'object' && external !== null)) {
      const legacy = typeof external === 'object' ? external.name : undefined;
      if (legacy && obj.name)
        throw new ConvertError(
          at('external', 'name'),
          `${kind} ${key}: ${kind}.external.name and ${kind}.name conflict; only use ${kind}.name`,
        );
      for (const k of ['file', 'environment', 'driver', 'template_driver'] as const)
        if (obj[k] !== undefined)
          throw new ConvertError(
            at(k),
            `conflicting parameters "external" and "${k}" specified for ${kind} "${key}": an external ${kind} is created beforehand (flotilla ${kind} create)`,
          );
      const name = legacy ?? obj.name ?? key;
      out.names.set(key, name);
      out.external.push(name);
      continue;
    }
    if (obj.driver !== undefined)
      throw new ConvertError(
        at('driver'),
        `${kind} "${key}": ${kind} drivers are not supported by flotilla; give the data with file: or environment:`,
      );
    if (obj.file !== undefined && obj.environment !== undefined)
      throw new ConvertError(at('environment'), `${kind} "${key}": use one of file: or environment:, not both`);
    const name = obj.name ?? `${ctx.namespace}_${key}`;
    out.names.set(key, name);
    const data = readData(kind, key, obj, ctx, at);
    const spec: SecretSpec = {
      Name: name,
      Labels: { ...labels(obj.labels), [ctx.namespaceLabel]: ctx.namespace },
      Data: data.toString('base64'),
    };
    if (obj.template_driver) spec.Templating = { Name: obj.template_driver };
    out.create.push(spec);
  }
  out.create.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  return out;
}

function readData(
  kind: FileObjectKind,
  key: string,
  obj: ComposeFileObject,
  ctx: FileObjectContext,
  at: (...p: string[]) => string[],
): Buffer {
  if (obj.environment !== undefined) {
    // docker stack deploy refuses `environment:`; the deploying shell's variable is the data.
    const v = ctx.env[obj.environment];
    if (v === undefined)
      throw new ConvertError(
        at('environment'),
        `${kind} "${key}": environment variable ${obj.environment} is not set: export it before deploying`,
      );
    return Buffer.from(v);
  }
  if (obj.file === undefined)
    throw new ConvertError(
      at(),
      `${kind} "${key}" has no data: give file: (a path relative to the compose file), environment: (a variable name) or external: true`,
    );
  const path = isAbsolute(obj.file) ? obj.file : resolve(ctx.workingDir, obj.file);
  try {
    return ctx.readBytes(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file or directory'
        : code === 'EISDIR'
          ? 'is a directory'
          : (code ?? (e as Error).message);
    throw new ConvertError(at('file'), `${kind} "${key}": cannot read ${path}: ${why}`);
  }
}

function labels(v: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries(listOrMapToMap(v)).map(([k, x]) => [k, x ?? '']));
}

/**
 * The stack's secrets and configs, and each service's references to them (in the services'
 * ContainerSpecs, in the order of `file.services`).
 */
export function attachFileObjects(
  file: Pick<ComposeFile, 'secrets' | 'configs' | 'services'>,
  specs: ServiceSpec[],
  ctx: FileObjectContext,
): { secrets: StackFileObjects<'secret'>; configs: StackFileObjects<'config'> } {
  const secrets = convertFileObjects('secret', file.secrets, ctx);
  const configs = convertFileObjects('config', file.configs, ctx);
  Object.entries(file.services ?? {}).forEach(([name, svc], i) => {
    const cs = specs[i]!.TaskTemplate.ContainerSpec;
    const at = (...p: (string | number)[]) => ['services', name, ...p];
    const s = convertFileReferences('secret', svc?.secrets, secrets.names, at);
    const c = convertFileReferences('config', svc?.configs, configs.names, at);
    if (s.length) cs.Secrets = s as SecretReference[];
    if (c.length) cs.Configs = c as ConfigReference[];
  });
  return { secrets, configs };
}

/**
 * A service's `secrets:` or `configs:` list as references with the object names and no IDs yet
 * (`stack deploy` fills them in once the objects exist). Sorted by name, like docker, so that a
 * redeploy of the same file compares equal.
 */
export function convertFileReferences(
  kind: FileObjectKind,
  refs: ComposeFileReference[] | undefined,
  names: Map<string, string>,
  at: (...p: (string | number)[]) => (string | number)[],
): (SecretReference | ConfigReference)[] {
  const out = (refs ?? []).map((r, i) => {
    const long = typeof r === 'string' ? { source: r } : r;
    const name = names.get(long.source);
    if (name === undefined)
      throw new ConvertError(
        at(`${kind}s`, i),
        `undefined ${kind} "${long.source}": declare it under the top-level ${kind}s: key`,
      );
    // A secret's relative target is under /run/secrets; a config's default is /<source>, as docker places it.
    const target = long.target ?? (kind === 'config' ? `/${long.source}` : long.source);
    const file = {
      Name: target,
      UID: long.uid === undefined ? '0' : String(long.uid),
      GID: long.gid === undefined ? '0' : String(long.gid),
      Mode: long.mode === undefined ? 0o444 : parseFileMode(long.mode)!, // the schema checked it
    };
    return kind === 'secret'
      ? ({ File: file, SecretID: '', SecretName: name } satisfies SecretReference)
      : ({ File: file, ConfigID: '', ConfigName: name } satisfies ConfigReference);
  });
  const seen = new Set<string>();
  out.forEach((r, i) => {
    if (seen.has(r.File!.Name))
      throw new ConvertError(
        at(`${kind}s`, i),
        `duplicate ${kind} target for ${nameOf(r)} not allowed: give each a different target`,
      );
    seen.add(r.File!.Name);
  });
  return out.sort((a, b) => (nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0));
}

const nameOf = (r: SecretReference | ConfigReference) => ('SecretName' in r ? r.SecretName : r.ConfigName);
