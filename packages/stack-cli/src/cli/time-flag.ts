// --since/--until values of logs, service logs and events, in the form the API takes.
import { UsageError } from './args';

/** --since/--until: RFC 3339, unix seconds, or a relative duration ("10m", "1h30m", "5s"). */
export function parseTime(v: string | undefined, now = Date.now()): string | undefined {
  if (v === undefined || v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return v;
  const rel = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$/.exec(v);
  if (rel && v !== '') {
    const ms =
      Number(rel[1] ?? 0) * 3600000 + Number(rel[2] ?? 0) * 60000 + Number(rel[3] ?? 0) * 1000 + Number(rel[4] ?? 0);
    return ((now - ms) / 1000).toFixed(9);
  }
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new UsageError(`invalid value for "since": ${v}`);
  return (t / 1000).toFixed(9);
}
