// Linearizability of a key-value history, checked per key (linearizability is local: Herlihy &
// Wing) with the Wing & Gong search plus Lowe's memoisation, as Porcupine does. An operation whose
// outcome the client never learned has return time Infinity and an unknown output.

export interface HistoryOp {
  id: string;
  client: number;
  kind: 'put' | 'get' | 'cas';
  key: string;
  value?: string;
  expect?: string | null;
  call: number;
  /** Infinity when the client never got an answer. */
  ret: number;
  /** cas: whether it applied; get: the value read. Undefined when unknown. */
  ok?: boolean;
  read?: string | null;
}

export type LinearizabilityResult =
  { ok: true } | { ok: false; key: string; ops: HistoryOp[] } | { ok: 'unknown'; key: string };

type State = string | null;

function stepModel(s: State, op: HistoryOp): [boolean, State] {
  switch (op.kind) {
    case 'put':
      return [true, op.value ?? null];
    case 'get':
      return [op.read === s, s];
    case 'cas': {
      const applies = s === (op.expect ?? null);
      if (op.ok !== undefined && op.ok !== applies) return [false, s];
      return [true, applies ? (op.value ?? null) : s];
    }
  }
}

interface Ev {
  op: number;
  call: boolean;
  time: number;
  match: Ev | null;
  prev: Ev | null;
  next: Ev | null;
}

export function checkKey(ops: HistoryOp[], budget = 2_000_000): boolean | 'unknown' {
  // A read nobody saw the result of constrains nothing.
  const hist = ops.filter((o) => !(o.kind === 'get' && o.ret === Infinity));
  const n = hist.length;
  if (n === 0) return true;
  const evs: Ev[] = [];
  hist.forEach((o, i) => {
    const c: Ev = { op: i, call: true, time: o.call, match: null, prev: null, next: null };
    const r: Ev = { op: i, call: false, time: o.ret, match: null, prev: null, next: null };
    c.match = r;
    r.match = c;
    evs.push(c, r);
  });
  // Calls before returns at equal times keeps concurrent operations concurrent.
  evs.sort((a, b) => a.time - b.time || (a.call === b.call ? 0 : a.call ? -1 : 1));
  const head: Ev = { op: -1, call: false, time: -Infinity, match: null, prev: null, next: null };
  let p = head;
  for (const e of evs) {
    p.next = e;
    e.prev = p;
    p = e;
  }
  const lift = (e: Ev): void => {
    (e.prev as Ev).next = e.next;
    if (e.next) e.next.prev = e.prev;
    const m = e.match as Ev;
    (m.prev as Ev).next = m.next;
    if (m.next) m.next.prev = m.prev;
  };
  const unlift = (e: Ev): void => {
    const m = e.match as Ev;
    (m.prev as Ev).next = m;
    if (m.next) m.next.prev = m;
    (e.prev as Ev).next = e;
    if (e.next) e.next.prev = e;
  };
  const words = Math.ceil(n / 30);
  const bits = new Array<number>(words).fill(0);
  /** Marks op `op` as linearized, or unmarks it (30 ops per word). */
  const flip = (op: number): void => {
    const w = Math.floor(op / 30);
    bits[w] = (bits[w] ?? 0) ^ (1 << (op % 30));
  };
  const cache = new Set<string>();
  const stack: [Ev, State][] = [];
  let state: State = null;
  let entry = head.next;
  let steps = 0;
  while (head.next !== null) {
    if (++steps > budget) return 'unknown';
    const e = entry as Ev;
    if (e.call) {
      const [ok, next] = stepModel(state, hist[e.op]!); // events are made from hist's indexes
      if (ok) {
        flip(e.op);
        const key = `${bits.join(',')}|${next === null ? '\u0000' : next}`;
        if (!cache.has(key)) {
          cache.add(key);
          stack.push([e, state]);
          state = next;
          lift(e);
          entry = head.next;
          continue;
        }
        flip(e.op);
      }
      entry = e.next;
    } else {
      const top = stack.pop();
      if (!top) return false;
      const [le, ls] = top;
      state = ls;
      flip(le.op);
      unlift(le);
      entry = le.next;
    }
  }
  return true;
}

export function checkHistory(ops: HistoryOp[]): LinearizabilityResult {
  const byKey = new Map<string, HistoryOp[]>();
  for (const o of ops) {
    const l = byKey.get(o.key);
    if (l) l.push(o);
    else byKey.set(o.key, [o]);
  }
  for (const [key, kops] of byKey) {
    const r = checkKey(kops);
    if (r === 'unknown') return { ok: 'unknown', key };
    if (!r) return { ok: false, key, ops: kops };
  }
  return { ok: true };
}
