// A tiny replicated key-value map: the state machine behind kv-server.ts and the driver's tests.
import { type StateMachine } from './state-machine';

export type KvCommand = { op: 'put'; key: string; value: string } | { op: 'del'; key: string };

export interface KvResult {
  index: number;
  prev: string | null;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function encodeKv(c: KvCommand): Uint8Array {
  return enc.encode(JSON.stringify(c));
}

export class KvStateMachine implements StateMachine<KvResult> {
  readonly data = new Map<string, string>();
  appliedCount = 0;

  apply(bytes: Uint8Array, index: number): KvResult {
    const c = JSON.parse(dec.decode(bytes)) as KvCommand;
    const prev = this.data.get(c.key) ?? null;
    if (c.op === 'put') this.data.set(c.key, c.value);
    else this.data.delete(c.key);
    this.appliedCount++;
    return { index, prev };
  }

  snapshot(): Uint8Array {
    return enc.encode(JSON.stringify([...this.data]));
  }

  restore(bytes: Uint8Array): void {
    this.data.clear();
    if (bytes.length === 0) return;
    for (const [k, v] of JSON.parse(dec.decode(bytes)) as [string, string][]) this.data.set(k, v);
  }
}
