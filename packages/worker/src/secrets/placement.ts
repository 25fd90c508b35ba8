// Where a task's secrets and configs appear in its container and with what content (pure):
// secrets at /run/secrets/<File.Name> (or File.Name when absolute), configs at /<File.Name> (or
// the absolute target); mode File.Mode (default 0444), owner File.UID/GID (default 0); templates
// (Templating golang) expanded for this task.
import { posix } from 'node:path';
import {
  expandTemplate,
  type AssignedDependency,
  type ConfigReference,
  type SecretReference,
  type Task,
  type TemplateContext,
} from '@flotilla/manager';
import type { DependencyGetter } from '../agent/dependencies';
import { TaskRejectedError } from '../agent/errors';

/** One file to put in the task's tmpfs and bind read-only at `target` in its container. */
export interface TaskFile {
  /** Its name in the task's tmpfs (the names users give are only targets). */
  name: string;
  target: string;
  uid: number;
  gid: number;
  mode: number;
  data: Buffer;
}

/** What a template may read about the node the task runs on. */
export interface NodeFacts {
  hostname: string;
  platform: { Architecture: string; OS: string };
}

export const SECRETS_DIR = '/run/secrets';
const DEFAULT_MODE = 0o444;

export function secretTarget(ref: SecretReference): string {
  const name = ref.File?.Name || ref.SecretName;
  return posix.isAbsolute(name) ? posix.normalize(name) : posix.join(SECRETS_DIR, name);
}

export function configTarget(ref: ConfigReference): string {
  const name = ref.File?.Name || ref.ConfigName;
  return posix.normalize(posix.isAbsolute(name) ? name : `/${name}`);
}

/** Whether the task references any secret or config (most do not: nothing to mount). */
export function hasTaskFiles(task: Task): boolean {
  const c = task.Spec?.ContainerSpec;
  return !!(c?.Secrets?.length || c?.Configs?.some((r) => r.File));
}

function owner(value: string | undefined, what: string, label: string): number {
  if (value === undefined || value === '') return 0;
  if (!/^\d+$/.test(value) || Number(value) > 0xfffffffe)
    throw new TaskRejectedError(`invalid ${what} "${value}" for ${label}: it must be a numeric ID`);
  return Number(value);
}

function mode(value: number | undefined, label: string): number {
  if (value === undefined) return DEFAULT_MODE;
  if (!Number.isInteger(value) || value < 0 || value > 0o7777)
    throw new TaskRejectedError(`invalid file mode ${value} for ${label}: it must be between 0 and 07777`);
  return value;
}

/**
 * The files of a task's secrets and configs, from what the manager sent with it. Throws
 * TaskRejectedError for a reference the node did not get ("secret not found: pw": deleted, or a
 * version no longer kept), a bad owner or mode, or a template that fails for this task.
 */
export function taskFiles(
  task: Task,
  deps: DependencyGetter,
  o: { serviceName: string; taskName: string; node: NodeFacts },
): TaskFile[] {
  const c = task.Spec.ContainerSpec;
  const secrets = (c.Secrets ?? []).map((ref) => {
    const dep = deps.get('secret', ref.SecretID, ref.DataVersion);
    if (!dep) throw new TaskRejectedError(`secret not found: ${ref.SecretName || ref.SecretID}`);
    return { ref, dep, target: secretTarget(ref), label: `secret ${ref.SecretName}` };
  });
  const configs = (c.Configs ?? [])
    .filter((ref) => ref.File)
    .map((ref) => {
      const dep = deps.get('config', ref.ConfigID, ref.DataVersion);
      if (!dep) throw new TaskRejectedError(`config not found: ${ref.ConfigName || ref.ConfigID}`);
      return { ref, dep, target: configTarget(ref), label: `config ${ref.ConfigName}` };
    });
  // {{secret "x"}} and {{config "x"}} read the task's own references by target name (raw data).
  const raw = (list: { ref: { File?: { Name: string } }; dep: AssignedDependency }[], name: string) => {
    const hit = list.find((x) => x.ref.File?.Name === name);
    return hit && Buffer.from(hit.dep.Data, 'base64').toString('utf8');
  };
  const env = new Map(
    (c.Env ?? []).filter((e) => e.includes('=')).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]),
  );
  const ctx: TemplateContext = {
    Service: { ID: task.ServiceID, Name: o.serviceName, Labels: task.ServiceAnnotations?.Labels ?? {} },
    Node: { ID: task.NodeID ?? '', Hostname: o.node.hostname, Platform: o.node.platform },
    Task: { ID: task.ID, Name: o.taskName, Slot: task.Slot === undefined ? '' : String(task.Slot) },
    env: (n) => env.get(n),
    secret: (n) => raw(secrets, n),
    config: (n) => raw(configs, n),
  };
  const file = (
    x: { ref: SecretReference | ConfigReference; dep: AssignedDependency; target: string; label: string },
    name: string,
  ): TaskFile => {
    let data = Buffer.from(x.dep.Data, 'base64');
    const driver = x.dep.Templating?.Name;
    if (driver) {
      if (driver !== 'golang')
        throw new TaskRejectedError(`${x.label}: unsupported template driver "${driver}" (only golang is)`);
      try {
        data = Buffer.from(expandTemplate(data.toString('utf8'), ctx), 'utf8');
      } catch (e) {
        throw new TaskRejectedError(`${x.label}: ${(e as Error).message}`);
      }
    }
    return {
      name,
      target: x.target,
      uid: owner(x.ref.File?.UID, 'UID', x.label),
      gid: owner(x.ref.File?.GID, 'GID', x.label),
      mode: mode(x.ref.File?.Mode, x.label),
      data,
    };
  };
  const files = [...secrets.map((x, i) => file(x, `secret-${i}`)), ...configs.map((x, i) => file(x, `config-${i}`))];
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.target))
      throw new TaskRejectedError(`two secrets or configs of the task have the same target: ${f.target}`);
    seen.add(f.target);
  }
  return files;
}

/** A tmpfs big enough for the files (each rounded up to pages, plus room for the inodes), small. */
export function tmpfsSize(files: TaskFile[]): number {
  const page = 4096;
  return files.reduce((n, f) => n + Math.ceil(f.data.length / page) * page + page, 16 * page);
}
