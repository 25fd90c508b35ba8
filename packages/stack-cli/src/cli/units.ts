// Docker's go-units: human durations ("Up 5 seconds", "About a minute"), human sizes ("4.26MB"),
// and RAMInBytes for --memory ("512m", "1g").

export function humanDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.round(ms / 60000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3600000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(hours / 24 / 365)} years`;
}

const DECIMAL = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/** HumanSizeWithPrecision(size, 3): decimal units, 3 significant digits, no trailing zeros. */
export function humanSize(bytes: number): string {
  let size = bytes;
  let i = 0;
  while (size >= 1000 && i < DECIMAL.length - 1) {
    size /= 1000;
    i++;
  }
  return `${Number(size.toPrecision(3))}${DECIMAL[i]}`;
}

const BINARY: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** RAMInBytes: "512m", "1.5g", "100000" (bytes). Throws with docker's text on bad input. */
export function ramInBytes(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kKmMgGtTpPbB]?)[bB]?$/.exec(s.trim());
  if (!m) throw new Error(`invalid size: '${s}'`);
  const unit = (m[2] || 'b').toLowerCase();
  return Math.floor(Number(m[1]) * BINARY[unit]!); // the pattern admits only BINARY's units
}

/** "5 seconds ago" for a timestamp in ms. */
export function ago(tsMs: number, now = Date.now()): string {
  return `${humanDuration(now - tsMs)} ago`;
}
