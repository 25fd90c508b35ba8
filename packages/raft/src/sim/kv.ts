// The key-value state machine the simulation runs on top of Raft. Commands carry a unique id;
// a command applied twice (a duplicated forwarded proposal) takes effect once, as a real
// client-session table would ensure.

export type KvCommand =
  | { id: string; op: 'put'; key: string; value: string }
  | { id: string; op: 'cas'; key: string; expect: string | null; value: string }
  | { id: string; op: 'get'; key: string };

export interface KvResult {
  ok: boolean;
  value?: string | null;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function encodeCommand(c: KvCommand): Uint8Array {
  return enc.encode(JSON.stringify(c));
}

export function decodeCommand(data: Uint8Array): KvCommand {
  return JSON.parse(dec.decode(data)) as KvCommand;
}

export class KvStore {
  private kv = new Map<string, string>();
  private results = new Map<string, KvResult>();

  apply(c: KvCommand): KvResult {
    const seen = this.results.get(c.id);
    if (seen) return seen;
    let r: KvResult;
    switch (c.op) {
      case 'put':
        this.kv.set(c.key, c.value);
        r = { ok: true };
        break;
      case 'cas': {
        const cur = this.kv.get(c.key) ?? null;
        r = { ok: cur === c.expect };
        if (r.ok) this.kv.set(c.key, c.value);
        break;
      }
      case 'get':
        r = { ok: true, value: this.kv.get(c.key) ?? null };
        break;
    }
    this.results.set(c.id, r);
    return r;
  }

  get(key: string): string | null {
    return this.kv.get(key) ?? null;
  }

  result(id: string): KvResult | undefined {
    return this.results.get(id);
  }

  snapshot(): Uint8Array {
    return enc.encode(JSON.stringify({ kv: [...this.kv], results: [...this.results] }));
  }

  static restore(data: Uint8Array): KvStore {
    const s = new KvStore();
    if (data.length === 0) return s;
    const j = JSON.parse(dec.decode(data)) as { kv: [string, string][]; results: [string, KvResult][] };
    s.kv = new Map(j.kv);
    s.results = new Map(j.results);
    return s;
  }
}
