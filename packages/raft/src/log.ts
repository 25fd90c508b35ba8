// The logger a Raft component uses when its caller passes none: silent, as a library writes nothing unasked.
import pino, { type Logger } from 'pino';

export const silentLogger: Logger = pino({ level: 'silent' });

export type { Logger };
