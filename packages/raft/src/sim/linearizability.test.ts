// The linearizability checker on small hand-made histories, linearizable and not.
import { checkKey, type HistoryOp } from './linearizability';

let n = 0;
const op = (o: Partial<HistoryOp> & Pick<HistoryOp, 'kind' | 'call' | 'ret'>): HistoryOp => ({
  id: `o${n++}`,
  client: 0,
  key: 'k',
  ...o,
});

describe('linearizability checker (Wing & Gong)', () => {
  test('sequential put then get of that value is linearizable', () => {
    expect(
      checkKey([op({ kind: 'put', value: 'a', call: 1, ret: 2 }), op({ kind: 'get', read: 'a', call: 3, ret: 4 })]),
    ).toBe(true);
  });

  test('a stale read after a completed put is not', () => {
    expect(
      checkKey([op({ kind: 'put', value: 'a', call: 1, ret: 2 }), op({ kind: 'get', read: null, call: 3, ret: 4 })]),
    ).toBe(false);
  });

  test('a read concurrent with a put may see either value', () => {
    const put = op({ kind: 'put', value: 'a', call: 1, ret: 10 });
    expect(checkKey([put, op({ kind: 'get', read: null, call: 2, ret: 3 })])).toBe(true);
    expect(checkKey([put, op({ kind: 'get', read: 'a', call: 2, ret: 3 })])).toBe(true);
  });

  test('two reads cannot observe the new value and then the old one', () => {
    const ops = [
      op({ kind: 'put', value: 'a', call: 1, ret: 100 }),
      op({ kind: 'get', read: 'a', call: 2, ret: 3 }),
      op({ kind: 'get', read: null, call: 4, ret: 5 }),
    ];
    expect(checkKey(ops)).toBe(false);
  });

  test('a put with unknown outcome may or may not have happened', () => {
    const lost = op({ kind: 'put', value: 'x', call: 1, ret: Infinity });
    expect(checkKey([lost, op({ kind: 'get', read: 'x', call: 5, ret: 6 })])).toBe(true);
    expect(checkKey([lost, op({ kind: 'get', read: null, call: 5, ret: 6 })])).toBe(true);
  });

  test('cas results must agree with the order', () => {
    const secondCas = op({ kind: 'cas', expect: '1', value: '3', ok: true, call: 5, ret: 6 });
    const ops = [
      op({ kind: 'put', value: '1', call: 1, ret: 2 }),
      op({ kind: 'cas', expect: '1', value: '2', ok: true, call: 3, ret: 4 }),
      secondCas,
    ];
    expect(checkKey(ops)).toBe(false);
    secondCas.ok = false;
    expect(checkKey(ops)).toBe(true);
  });
});
