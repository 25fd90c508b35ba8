// service create --secret/--config and update --secret-add/-rm, --config-add/-rm: docker's csv
// syntax (`name` or `source=,target=,uid=,gid=,mode=`), names resolved to IDs like docker's CLI.
import type { ConfigReference, ReferenceFile, SecretReference } from '@flotilla/manager';
import { parseFileMode } from '../../compose';
import { type FlagSpec, UsageError, list, type ParsedArgs } from '../args';
import { CsvError, csvFields } from '../csv';
import type { Ctx } from '../io';
import { ExitError } from '../io';

export type RefKind = 'secret' | 'config';

export const REF_CREATE_FLAGS: FlagSpec[] = [
  { name: 'secret', type: 'list' },
  { name: 'config', type: 'list' },
];

export const REF_UPDATE_FLAGS: FlagSpec[] = [
  { name: 'secret-add', type: 'list' },
  { name: 'secret-rm', type: 'list' },
  { name: 'config-add', type: 'list' },
  { name: 'config-rm', type: 'list' },
];

/** A reference as the user wrote it: the object's name and where its file goes. */
export interface RefRequest {
  name: string;
  file: ReferenceFile;
}

/**
 * Parses one --secret/--config value. The short form `name` is the name and the target; a
 * config's default target is /<name> (docker places a relative config target at the root).
 */
export function parseRefFlag(kind: RefKind, flag: string, value: string): RefRequest {
  const bad = (why: string) => new UsageError(`invalid argument "${value}" for "--${flag}" flag: ${why}`);
  let fields: string[];
  try {
    fields = csvFields(value);
  } catch (e) {
    if (e instanceof CsvError) throw bad(e.message);
    throw e;
  }
  const file: ReferenceFile = { Name: '', UID: '0', GID: '0', Mode: 0o444 };
  let name = '';
  if (fields.length === 1 && !fields[0]!.includes('=')) {
    name = fields[0]!;
  } else {
    for (const field of fields) {
      const eq = field.indexOf('=');
      if (eq <= 0) throw bad(`invalid field '${field}' must be a key=value pair`);
      const key = field.slice(0, eq).toLowerCase();
      const val = field.slice(eq + 1);
      if (key === 'source' || key === 'src') name = val;
      else if (key === 'target') file.Name = val;
      else if (key === 'uid') file.UID = val;
      else if (key === 'gid') file.GID = val;
      else if (key === 'mode') {
        const mode = parseFileMode(val);
        if (mode === undefined) throw bad(`invalid mode specified: "${val}" is not an octal file mode like 0440`);
        file.Mode = mode;
      } else throw bad(`invalid field in ${kind} request: ${key}`);
    }
  }
  if (!name) throw bad('source is required');
  if (!file.Name) file.Name = kind === 'config' ? `/${name}` : name;
  return { name, file };
}

type Listed = { ID: string; Spec: { Name: string } };

/**
 * docker's ParseSecrets/ParseConfigs: one list call filtered by the names, exact names matched
 * here (the daemon's name filter may match prefixes); a missing one is docker's "secret not found: X".
 */
export async function resolveRefs(
  ctx: Ctx,
  kind: RefKind,
  requests: RefRequest[],
): Promise<(SecretReference | ConfigReference)[]> {
  if (!requests.length) return [];
  const targets = new Set<string>();
  for (const r of requests) {
    if (targets.has(r.file.Name)) throw new ExitError(`duplicate ${kind} target for ${r.name} not allowed`, 1);
    targets.add(r.file.Name);
  }
  const names = [...new Set(requests.map((r) => r.name))];
  const found = await ctx.client.json<Listed[]>('GET', `/${kind}s`, {
    query: { filters: JSON.stringify({ name: names }) },
  });
  const ids = new Map(found.map((o) => [o.Spec.Name, o.ID]));
  return requests.map((r) => {
    const id = ids.get(r.name);
    if (!id) throw new ExitError(`${kind} not found: ${r.name}`, 1);
    return kind === 'secret'
      ? { File: r.file, SecretID: id, SecretName: r.name }
      : { File: r.file, ConfigID: id, ConfigName: r.name };
  });
}

type ContainerRefs = { Secrets?: SecretReference[]; Configs?: ConfigReference[] };

/** Applies the flags to a ContainerSpec: create sets the lists, update removes by name then adds. */
export async function applyRefFlags(ctx: Ctx, p: ParsedArgs, spec: object, isUpdate: boolean): Promise<void> {
  const cs = spec as ContainerRefs;
  for (const kind of ['secret', 'config'] as const) {
    const addFlag = isUpdate ? `${kind}-add` : kind;
    const requests = list(p, addFlag).map((v) => parseRefFlag(kind, addFlag, v));
    const removed = new Set(isUpdate ? list(p, `${kind}-rm`) : []);
    if (!requests.length && !removed.size) continue;
    const added = await resolveRefs(ctx, kind, requests);
    if (kind === 'secret') {
      const kept = (isUpdate ? (cs.Secrets ?? []) : []).filter((r) => !removed.has(r.SecretName));
      cs.Secrets = [...kept, ...(added as SecretReference[])];
    } else {
      const kept = (isUpdate ? (cs.Configs ?? []) : []).filter((r) => !removed.has(r.ConfigName));
      cs.Configs = [...kept, ...(added as ConfigReference[])];
    }
  }
}
