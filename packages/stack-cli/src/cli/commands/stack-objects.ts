// stack deploy / rm for secrets and configs: the plan (pure: which to create, update in place,
// leave alone), applying it before the services, filling the IDs into the services' references,
// and removal by the stack's namespace label after the services.
import type { ConfigSpec, SecretSpec, ServiceSpec } from '@flotilla/manager';
import { NAMESPACE_LABEL, type StackFileObjects } from '../../compose';
import { DaemonError } from '../client';
import { type Ctx, ExitError, err, out } from '../io';
import type { ApiFileObject, ObjectKind } from './file-object-format';

type Spec = SecretSpec | ConfigSpec;

export interface ObjectPlan {
  create: Spec[];
  /** Existing objects to post the stack's spec to (the daemon stores new data as a new version). */
  update: { id: string; version: number; dataVersion?: number; spec: Spec }[];
  /** Existing objects whose spec is the stack's already (only knowable for configs: a secret's data is never returned). */
  unchanged: { id: string; name: string }[];
  /** Every object name the stack uses -> its ID, for the ones that exist already. */
  ids: Map<string, string>;
  /** External names that do not exist. */
  missing: string[];
}

const sameMap = (a: Record<string, string> | null | undefined, b: Record<string, string> | null | undefined) => {
  const x = Object.entries(a ?? {}).sort();
  const y = Object.entries(b ?? {}).sort();
  return JSON.stringify(x) === JSON.stringify(y);
};

/**
 * What a deploy does with the stack's objects, given the existing ones with those names. Unlike
 * docker (which refuses a data change: "only updates to Labels are allowed"), a changed file is
 * an in-place update.
 */
export function planObjects(objs: StackFileObjects<ObjectKind>, existing: ApiFileObject[]): ObjectPlan {
  const byName = new Map(existing.map((o) => [o.Spec.Name, o]));
  const plan: ObjectPlan = { create: [], update: [], unchanged: [], ids: new Map(), missing: [] };
  for (const name of objs.external) {
    const o = byName.get(name);
    if (o) plan.ids.set(name, o.ID);
    else plan.missing.push(name);
  }
  for (const spec of objs.create) {
    const o = byName.get(spec.Name);
    if (!o) {
      plan.create.push(spec);
      continue;
    }
    plan.ids.set(spec.Name, o.ID);
    const same =
      o.Spec.Data !== undefined &&
      o.Spec.Data === spec.Data &&
      sameMap(o.Spec.Labels, spec.Labels) &&
      (o.Spec.Templating?.Name ?? '') === (spec.Templating?.Name ?? '');
    if (same) plan.unchanged.push({ id: o.ID, name: spec.Name });
    else plan.update.push({ id: o.ID, version: o.Version.Index, dataVersion: o.DataVersion, spec });
  }
  return plan;
}

/** Creates and updates the stack's secrets (or configs); resolves with name -> ID for every one it uses. */
export async function deployObjects(
  ctx: Ctx,
  kind: ObjectKind,
  objs: StackFileObjects<ObjectKind>,
): Promise<Map<string, string>> {
  const names = [...objs.external, ...objs.create.map((s) => s.Name)];
  if (!names.length) return new Map();
  const existing = await ctx.client.json<ApiFileObject[]>('GET', `/${kind}s`, {
    query: { filters: JSON.stringify({ name: names }) },
  });
  const plan = planObjects(objs, existing);
  // docker's words, before anything is created.
  if (plan.missing.length) throw new ExitError(`${kind} not found: ${plan.missing[0]}`, 1);
  for (const spec of plan.create) {
    out(ctx, `Creating ${kind} ${spec.Name}`);
    try {
      const r = await ctx.client.json<{ ID: string }>('POST', `/${kind}s/create`, { body: spec });
      plan.ids.set(spec.Name, r.ID);
    } catch (e) {
      if (e instanceof DaemonError) throw new ExitError(`failed to create ${kind} ${spec.Name}: ${e.message}`, 1);
      throw e;
    }
  }
  for (const u of plan.update) {
    try {
      await ctx.client.call('POST', `/${kind}s/${u.id}/update`, { query: { version: u.version }, body: u.spec });
      const now = await ctx.client.json<ApiFileObject>('GET', `/${kind}s/${u.id}`);
      if (u.dataVersion !== undefined && now.DataVersion !== undefined && now.DataVersion !== u.dataVersion)
        out(ctx, `Updating ${kind} ${u.spec.Name} (data version ${u.dataVersion} -> ${now.DataVersion})`);
    } catch (e) {
      if (e instanceof DaemonError) throw new ExitError(`failed to update ${kind} ${u.spec.Name}: ${e.message}`, 1);
      throw e;
    }
  }
  return plan.ids;
}

/** Fills SecretID/ConfigID into the services' references (the compose loader knows names only). */
export function fillReferenceIds(
  services: ServiceSpec[],
  secrets: Map<string, string>,
  configs: Map<string, string>,
): void {
  for (const s of services) {
    const cs = s.TaskTemplate.ContainerSpec;
    for (const r of cs.Secrets ?? []) r.SecretID = secrets.get(r.SecretName) ?? r.SecretID;
    for (const r of cs.Configs ?? []) r.ConfigID = configs.get(r.ConfigName) ?? r.ConfigID;
  }
}

/**
 * A service spec as the daemon returns it, comparable with one the stack builds: the data versions
 * the control API pins in references are the daemon's, not the file's.
 */
export function withoutDataVersions<T extends { TaskTemplate: { ContainerSpec: object } }>(spec: T): T {
  const cs = spec.TaskTemplate.ContainerSpec as { Secrets?: object[]; Configs?: object[] };
  const strip = (refs: object[] | undefined) =>
    refs?.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== 'DataVersion')));
  return {
    ...spec,
    TaskTemplate: {
      ...spec.TaskTemplate,
      ContainerSpec: {
        ...cs,
        ...(cs.Secrets ? { Secrets: strip(cs.Secrets) } : {}),
        ...(cs.Configs ? { Configs: strip(cs.Configs) } : {}),
      },
    },
  };
}

/** The stack's secrets (or configs): those with its namespace label. */
export async function stackObjects(ctx: Ctx, kind: ObjectKind, ns: string): Promise<ApiFileObject[]> {
  const all = await ctx.client.json<ApiFileObject[]>('GET', `/${kind}s`, {
    query: { filters: JSON.stringify({ label: [`${NAMESPACE_LABEL}=${ns}`] }) },
  });
  return all
    .filter((o) => o.Spec.Labels?.[NAMESPACE_LABEL] === ns)
    .sort((a, b) => (a.Spec.Name < b.Spec.Name ? -1 : 1));
}

/**
 * Removes them like docker's stack rm (after the services); a refusal because a service still
 * uses one is retried for a while, as the services' removal settles. Resolves false on a failure.
 */
export async function removeObjects(
  ctx: Ctx,
  kind: ObjectKind,
  objs: ApiFileObject[],
  opts: { timeoutMs?: number } = {},
): Promise<boolean> {
  let ok = true;
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  for (const o of objs) {
    out(ctx, `Removing ${kind} ${o.Spec.Name}`);
    for (;;) {
      try {
        await ctx.client.call('DELETE', `/${kind}s/${o.ID}`);
        break;
      } catch (e) {
        const inUse = e instanceof DaemonError && /in use/i.test(e.message) && Date.now() < deadline;
        if (inUse) {
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        err(ctx, `Failed to remove ${kind} ${o.ID}: ${(e as Error).message}`);
        ok = false;
        break;
      }
    }
  }
  return ok;
}
