// Commands that take several names (rm, stop, wait, ...) act on each in turn like docker: what
// succeeds is printed, a daemon's refusal is printed as "Error response from daemon: ..." and
// the command goes on with the next name, ending with exit code 1.
import { UsageError } from './args';
import { DaemonError } from './client';
import { type Ctx, err, out } from './io';

/**
 * Run `op` for each name. `op` resolves with the lines to print, or with nothing to print the name
 * itself. Resolves with the exit code: 0, or 1 when the daemon refused any of them.
 */
export async function forEachArg(
  ctx: Ctx,
  names: string[],
  op: (name: string) => Promise<unknown>,
  usage: string,
): Promise<number> {
  if (names.length === 0) throw new UsageError(usage);
  let code = 0;
  for (const name of names) {
    try {
      const lines = await op(name);
      for (const l of Array.isArray(lines) ? (lines as string[]) : [name]) out(ctx, l);
    } catch (e) {
      if (!(e instanceof DaemonError)) throw e;
      err(ctx, `Error response from daemon: ${e.message}`);
      code = 1;
    }
  }
  return code;
}
