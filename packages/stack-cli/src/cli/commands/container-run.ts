// run and create: RUN_FLAGS to a create body, the image pulled when missing, then (run) start and follow.
import { UsageError, parseArgs, str } from '../args';
import { authHeaderFor } from '../auth';
import { DaemonError } from '../client';
import { type Ctx, ExitError, err, out } from '../io';
import { pullImage, withDefaultTag } from '../pull';
import { RUN_FLAGS, buildRunConfig } from '../run-config';
import { attachInteractive, streamOutput } from './container-stream';

type Json = Record<string, unknown>;

/** docker run's exit code for a start failure: 127 command not found, 126 cannot invoke, else 125. */
export function startFailureCode(message: string): number {
  if (/executable file not found|no such file or directory|system cannot find the file specified/.test(message))
    return 127;
  if (/permission denied|not a directory/i.test(message) && /exec/.test(message)) return 126;
  return 125;
}

/** docker's run errors end with one period. */
function sentence(m: string): string {
  return m.endsWith('.') ? m : `${m}.`;
}

function isNoSuchImage(e: unknown): boolean {
  return (
    e instanceof DaemonError &&
    e.status === 404 &&
    /no such image|not found|does not exist|pull access denied/i.test(e.message) &&
    !/container/i.test(e.message)
  );
}

async function createContainer(
  ctx: Ctx,
  name: string | undefined,
  body: Json,
  pull: string | undefined,
): Promise<string> {
  const create = () =>
    ctx.client.json<{ Id: string; Warnings?: string[] }>('POST', '/containers/create', { query: { name }, body });
  const image = String(body.Image);
  const auth = authHeaderFor(ctx.io.env, image);
  if (pull === 'always') await pullImage(ctx, image, { toStderr: true, auth });
  let res: { Id: string; Warnings?: string[] };
  try {
    res = await create();
  } catch (e) {
    if (!isNoSuchImage(e) || pull === 'never') throw e;
    err(ctx, `Unable to find image '${withDefaultTag(image)}' locally`);
    await pullImage(ctx, image, { toStderr: true, auth });
    res = await create();
  }
  for (const w of res.Warnings ?? []) err(ctx, `WARNING: ${w}`);
  return res.Id;
}

export async function run(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, RUN_FLAGS, { interspersed: false });
  let cfg;
  try {
    cfg = buildRunConfig(p, ctx.io.env, ctx.io.cwd);
  } catch (e) {
    if (e instanceof UsageError) throw new ExitError(`${e.message}\nSee 'flotilla run --help'.`, e.exitCode);
    throw e;
  }
  let id: string;
  try {
    id = await createContainer(ctx, cfg.name, cfg.body, str(p, 'pull'));
  } catch (e) {
    if (e instanceof DaemonError)
      throw new ExitError(
        `flotilla: Error response from daemon: ${sentence(e.message)}\nSee 'flotilla run --help'.`,
        125,
      );
    throw e;
  }
  if (cfg.detach) {
    try {
      await ctx.client.call('POST', `/containers/${id}/start`);
    } catch (e) {
      if (e instanceof DaemonError)
        throw new ExitError(
          `flotilla: Error response from daemon: ${sentence(e.message)}`,
          startFailureCode(e.message),
        );
      throw e;
    }
    out(ctx, id);
    return 0;
  }
  let output: Promise<void> | undefined;
  // Like docker's --sig-proxy: a signal to the CLI goes to the container, which decides to exit.
  const unsubscribe = ctx.io.onSignal?.((signal) => {
    void ctx.client.call('POST', `/containers/${id}/kill`, { query: { signal } }).catch(() => undefined);
  });
  try {
    if (cfg.interactive) output = (await attachInteractive(ctx, id, cfg.tty)).done;
    try {
      await ctx.client.call('POST', `/containers/${id}/start`);
    } catch (e) {
      if (e instanceof DaemonError)
        throw new ExitError(
          `flotilla: Error response from daemon: ${sentence(e.message)}`,
          startFailureCode(e.message),
        );
      throw e;
    }
    if (!output) output = streamOutput(ctx, id, cfg.tty);
    const [status] = await Promise.all([
      ctx.client.json<{ StatusCode: number }>('POST', `/containers/${id}/wait`, {
        query: { condition: 'not-running' },
      }),
      output,
    ]);
    return status.StatusCode;
  } finally {
    unsubscribe?.();
    if (cfg.autoRemove)
      await ctx.client.call('DELETE', `/containers/${id}`, { query: { force: true, v: true } }).catch(() => undefined);
  }
}

export async function create(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, RUN_FLAGS, { interspersed: false });
  const cfg = buildRunConfig(p, ctx.io.env, ctx.io.cwd);
  out(ctx, await createContainer(ctx, cfg.name, cfg.body, str(p, 'pull')));
  return 0;
}
