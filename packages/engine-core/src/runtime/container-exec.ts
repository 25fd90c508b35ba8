// `docker exec` on the manager's containers: exec instances (created, started once, inspected)
// run with `runc exec` as the container's (or the requested) user in its environment.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ConflictError, InvalidArgumentError, NotFoundError } from '../errors';
import type { Entry, EntryHooks } from './container-entry';
import type { OutputChunk } from './container-types';
import { runExec, type ExecCreateRequest, type ExecInspect } from './exec';
import { resolveUser } from './user';

interface ExecEntry {
  inspect: ExecInspect;
  req: ExecCreateRequest;
}

export interface ContainerExecsOptions {
  runcRoot: string;
  /** The container by ID, name or prefix (throws NotFoundError). */
  find(ref: string): Entry;
  emit: EntryHooks['emit'];
}

export class ContainerExecs {
  private readonly execs = new Map<string, ExecEntry>();

  constructor(private readonly o: ContainerExecsOptions) {}

  /** POST /containers/{id}/exec. 409 when the container is not running. */
  create(ref: string, req: ExecCreateRequest): { Id: string } {
    const e = this.o.find(ref);
    if (!e.proc) throw new ConflictError(`Container ${e.rec.id} is not running`);
    if (e.rec.state.Paused)
      throw new ConflictError(`Container ${e.rec.id} is paused, unpause the container before exec`);
    const [entrypoint, ...args] = Array.isArray(req.Cmd) ? req.Cmd : [];
    if (entrypoint === undefined) throw new InvalidArgumentError('No exec command specified');
    const id = randomBytes(32).toString('hex');
    this.execs.set(id, {
      req,
      inspect: {
        ID: id,
        ContainerID: e.rec.id,
        Running: false,
        ExitCode: null,
        Pid: 0,
        OpenStdin: !!req.AttachStdin,
        OpenStdout: req.AttachStdout !== false,
        OpenStderr: req.AttachStderr !== false,
        CanRemove: false,
        DetachKeys: req.DetachKeys ?? '',
        ProcessConfig: {
          tty: !!req.Tty,
          entrypoint,
          arguments: args,
          privileged: !!req.Privileged,
          ...(req.User ? { user: req.User } : {}),
        },
      },
    });
    e.execIds.add(id);
    return { Id: id };
  }

  /** POST /exec/{id}/start: output chunks as they come, and the exit code. */
  async start(
    execId: string,
    opts: { stdin?: Readable; signal?: AbortSignal } = {},
  ): Promise<{ output: AsyncIterable<OutputChunk>; exitCode: Promise<number> }> {
    const x = this.execs.get(execId);
    if (!x) throw new NotFoundError(`No such exec instance: ${execId}`);
    if (x.inspect.Running || x.inspect.ExitCode !== null)
      throw new ConflictError(`Error: Exec command ${execId} has already run`);
    const e = this.o.find(x.inspect.ContainerID);
    if (!e.proc) throw new ConflictError(`Container ${e.rec.id} is not running`);
    const rec = e.rec;
    const user = await resolveUser(x.req.User || rec.config.User, [...rec.layerDirs, join(e.dir, 'upper')]);
    const env = [...rec.config.Env, ...(x.req.Env ?? [])];
    if (!env.some((v) => v.startsWith('HOME='))) env.push(`HOME=${user.home}`);
    x.inspect.Running = true;
    const r = runExec({
      runcRoot: this.o.runcRoot,
      containerId: rec.id,
      args: x.req.Cmd,
      env,
      cwd: x.req.WorkingDir || rec.config.WorkingDir || '/',
      uid: user.uid,
      gid: user.gid,
      additionalGids: user.additionalGids,
      stdin: x.req.AttachStdin ? opts.stdin : undefined,
      signal: opts.signal,
      onPid: (pid) => (x.inspect.Pid = pid),
    });
    this.o.emit(e, `exec_start: ${x.req.Cmd.join(' ')}`, { execID: execId });
    const exitCode = r.exitCode.then((code) => {
      x.inspect.Running = false;
      x.inspect.ExitCode = code;
      this.o.emit(e, 'exec_die', { execID: execId, exitCode: String(code) });
      return code;
    });
    return { output: r.output, exitCode };
  }

  /** GET /exec/{id}/json. */
  inspect(execId: string): ExecInspect {
    const x = this.execs.get(execId);
    if (!x) throw new NotFoundError(`No such exec instance: ${execId}`);
    return { ...x.inspect, ProcessConfig: { ...x.inspect.ProcessConfig } };
  }

  /** A removed container's execs are gone with it. */
  forget(e: Entry): void {
    for (const id of e.execIds) this.execs.delete(id);
  }
}
