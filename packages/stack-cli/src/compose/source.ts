import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { ComposeError, InterpolationError, type SourcePos } from './errors';
import { interpolate, type Env } from './interpolate';

/** One parsed compose file: its plain value (interpolated) and where each key path came from. */
export interface ComposeSource {
  file: string;
  value: unknown;
  /** Key path ("services.web.ports") -> position of its key (or of a list item). */
  positions: Map<string, SourcePos>;
  /** Key path -> position of its scalar value, for errors about a value. */
  valuePositions?: Map<string, SourcePos>;
}

/** Parses YAML text, interpolating every scalar value (not keys) from `env`. */
export function parseComposeSource(file: string, text: string, env: Env): ComposeSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, merge: true });
  const posAt = (offset: number): SourcePos => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col };
  };
  const firstError = doc.errors[0];
  if (firstError) {
    const reason = firstError.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new ComposeError(`invalid YAML: ${reason}`, '', posAt(firstError.pos[0]));
  }
  const positions = new Map<string, SourcePos>();
  const valuePositions = new Map<string, SourcePos>();
  const walk = (node: unknown, path: string[]): unknown => {
    const n = node as Node | null;
    if (n?.range && !positions.has(path.join('.'))) positions.set(path.join('.'), posAt(n.range[0]));
    if (isMap(n)) {
      const obj: Record<string, unknown> = {};
      for (const pair of n.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const keyNode = pair.key as Node | null;
        if (keyNode?.range) positions.set([...path, key].join('.'), posAt(keyNode.range[0]));
        obj[key] = walk(pair.value, [...path, key]);
        const v = pair.value as Node | null;
        if (isScalar(v) && v.range) valuePositions.set([...path, key].join('.'), posAt(v.range[0]));
      }
      return obj;
    }
    if (isSeq(n)) return n.items.map((item, i) => walk(item, [...path, String(i)]));
    if (isScalar(n)) {
      if (typeof n.value !== 'string') return yaml11Octal(n) ?? n.value;
      try {
        return interpolate(n.value, env);
      } catch (e) {
        if (e instanceof InterpolationError)
          throw new ComposeError(e.message, path.join('.'), n.range ? posAt(n.range[0]) : undefined);
        throw e;
      }
    }
    return n === null || n === undefined ? null : ((n as { toJSON?: () => unknown }).toJSON?.() ?? null);
  };
  const value = walk(doc.contents, []);
  return { file, value, positions, valuePositions };
}

/**
 * `mode: 0440` is octal in YAML 1.1, which docker's go-yaml reads (288), but decimal 440 in YAML
 * 1.2: a plain integer with a leading zero is read as docker reads it.
 */
function yaml11Octal(n: Node & { source?: string; type?: string }): number | undefined {
  if (typeof (n as { value?: unknown }).value !== 'number' || n.type !== 'PLAIN' || n.source === undefined)
    return undefined;
  const m = /^([-+]?)0([0-7]+)$/.exec(n.source);
  return m ? (m[1] === '-' ? -1 : 1) * parseInt(m[2]!, 8) : undefined;
}

/** The closest known position for a key path: the node itself or its nearest ancestor. */
export function positionOf(
  src: ComposeSource,
  path: (string | number)[],
  of: 'value' | 'key' = 'value',
): SourcePos | undefined {
  const value = of === 'value' ? src.valuePositions?.get(path.join('.')) : undefined;
  if (value) return value;
  for (let n = path.length; n >= 0; n--) {
    const p = src.positions.get(path.slice(0, n).join('.'));
    if (p) return p;
  }
  return undefined;
}
