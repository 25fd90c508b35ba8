// `flotilla daemon`: run the engine in this process until SIGTERM/SIGINT (like dockerd).
import type * as Engine from '@flotilla/engine-core';
import type * as Worker from '@flotilla/worker';
import { UsageError, parseArgs, str } from '../args';
import { type Ctx, ExitError } from '../io';

export async function daemon(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseArgs(argv, [
    { name: 'data-root', type: 'string' },
    { name: 'host', short: 'H', type: 'string' },
    { name: 'exec-root', type: 'string' },
    { name: 'log-level', short: 'l', type: 'string' },
    { name: 'mesh-tunnel-port', type: 'string' },
  ]);
  if (p.positionals.length) throw new UsageError(`"daemon" accepts no arguments`);
  const tunnel = str(p, 'mesh-tunnel-port');
  if (tunnel !== undefined && !(/^\d+$/.test(tunnel) && Number(tunnel) <= 65535))
    throw new UsageError(`invalid --mesh-tunnel-port "${tunnel}": use a TCP port (0 picks a free one; default 7946)`);
  const level = str(p, 'log-level');
  if (level) process.env.FLOTILLA_LOG_LEVEL = level;
  // Loaded here so that client commands never pay for the engine's modules.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const engine = require('@flotilla/engine-core') as typeof Engine;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const worker = require('@flotilla/worker') as typeof Worker;
  try {
    await engine.runDaemonUntilSignal({
      dataRoot: str(p, 'data-root') ?? engine.DEFAULT_DATA_ROOT,
      host: str(p, 'host') ?? ctx.io.env.FLOTILLA_HOST ?? engine.DEFAULT_HOST,
      runDir: str(p, 'exec-root'),
      // Swarm mode: the node's agent, and the manager on manager nodes.
      extensions: [worker.swarmExtension(tunnel !== undefined ? { meshTunnelPort: Number(tunnel) } : {})],
    });
  } catch (e) {
    throw new ExitError(`failed to start daemon: ${(e as Error).message}`, 1);
  }
  return 0;
}
