// KEY=VALUE flags (--label, --opt, --container-label) to a map; a bare KEY maps to "".

export function keyValues(items: string[]): Record<string, string> {
  const o: Record<string, string> = {};
  for (const l of items) {
    const eq = l.indexOf('=');
    o[eq < 0 ? l : l.slice(0, eq)] = eq < 0 ? '' : l.slice(eq + 1);
  }
  return o;
}
