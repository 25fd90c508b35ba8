// Structured logging (pino): the root logger of a daemon process, and the silent default of components.
import pino, { type Logger } from 'pino';

/** The root logger; components take children with a `component` field. Level from FLOTILLA_LOG_LEVEL. */
export const rootLogger: Logger = pino(
  {
    level: process.env.FLOTILLA_LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info'),
    base: { pid: process.pid },
  },
  pino.destination(2),
); // stderr: stdout belongs to the CLI's output

/** The default of components whose owner passes no logger: they log nothing. */
export const silentLogger: Logger = pino({ level: 'silent' });

export type { Logger };
