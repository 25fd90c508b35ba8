// Running the daemon as a process: graceful close on SIGTERM/SIGINT, and process-level guards so
// one failed request or stray promise never takes the engine down.
import { rootLogger } from '../log';
import { type DaemonHandle, type DaemonOptions, startDaemon } from './daemon';

/** Start the daemon and resolve once a signal has closed it. `onReady` sees the handle. */
export async function runDaemonUntilSignal(opts: DaemonOptions, onReady?: (d: DaemonHandle) => void): Promise<void> {
  // The process's root logger when the caller brings none (`flotilla daemon`): the daemon hands
  // children of it to every component.
  const base = opts.log ?? rootLogger;
  const log = base.child({ component: 'daemon' });
  const onUncaught = (err: unknown) => log.error({ err }, 'uncaught exception (daemon keeps running)');
  const onRejection = (err: unknown) => log.error({ err }, 'unhandled rejection (daemon keeps running)');
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onRejection);
  try {
    const d = await startDaemon({ ...opts, log: base });
    onReady?.(d);
    await new Promise<void>((resolve) => {
      let signals = 0;
      const onSignal = (sig: NodeJS.Signals) => {
        signals++;
        if (signals > 2) {
          log.warn({ signal: sig }, 'forced exit');
          process.exit(1);
        }
        if (signals > 1) return;
        log.info({ signal: sig }, 'signal received, closing');
        d.close().then(resolve, (err: unknown) => {
          log.error({ err }, 'close failed');
          resolve();
        });
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
    });
  } finally {
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onRejection);
  }
}
