// Signal names as docker accepts them: "SIGTERM", "TERM", "15", case-insensitive.
import { constants } from 'node:os';
import { InvalidArgumentError } from '../errors';

export function parseSignal(s: string | number | undefined, fallback: NodeJS.Signals = 'SIGKILL'): NodeJS.Signals {
  if (s === undefined || s === '') return fallback;
  const sigs = constants.signals as Record<string, number>;
  if (typeof s === 'number' || /^\d+$/.test(s)) {
    const n = Number(s);
    const name = Object.keys(sigs).find((k) => sigs[k] === n);
    if (!name) throw new InvalidArgumentError(`Invalid signal: ${s}`);
    return name as NodeJS.Signals;
  }
  const up = s.toUpperCase();
  const name = up.startsWith('SIG') ? up : `SIG${up}`;
  if (!(name in sigs)) throw new InvalidArgumentError(`Invalid signal: ${s}`);
  return name as NodeJS.Signals;
}
