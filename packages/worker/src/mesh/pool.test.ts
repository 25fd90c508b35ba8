import { BackendPool } from './pool';

const b = (id: string) => ({ taskId: id, address: '127.0.0.1', port: 1000 + Number(id.slice(1)) });

describe('BackendPool', () => {
  it('round robin takes the backends in turn', () => {
    const p = new BackendPool();
    p.set([b('t1'), b('t2'), b('t3')]);
    expect([1, 2, 3, 4, 5, 6].map(() => p.pick()?.backend.taskId)).toEqual(['t1', 't2', 't3', 't1', 't2', 't3']);
  });

  it('skips the backends a connection already tried, each at most once', () => {
    const p = new BackendPool();
    p.set([b('t1'), b('t2'), b('t3')]);
    const first = p.pick();
    const tried = [first!];
    const second = p.pick(tried);
    tried.push(second!);
    const third = p.pick(tried);
    tried.push(third!);
    expect(new Set(tried.map((s) => s.backend.taskId))).toEqual(new Set(['t1', 't2', 't3']));
    expect(p.pick(tried)).toBeUndefined();
  });

  it('an empty pool picks nothing', () => {
    expect(new BackendPool().pick()).toBeUndefined();
  });

  it('least connections takes the backend with the fewest active connections, ties in turn', () => {
    const p = new BackendPool('least-connections');
    p.set([b('t1'), b('t2'), b('t3')]);
    const slots = [1, 2, 3].map(() => {
      const s = p.pick()!;
      s.active++; // the data path counts; pick only chooses
      return s;
    });
    expect(slots.map((s) => s.backend.taskId)).toEqual(['t1', 't2', 't3']);
    // t2's connection ends: t2 is the least loaded now, although round robin would say t1.
    slots[1]!.active--;
    expect(p.pick()?.backend.taskId).toBe('t2');
    // A connection that already failed on t2 goes to the next least loaded, in turn.
    expect(p.pick([slots[1]!])?.backend.taskId).toBe('t3');
  });

  it('a new set keeps the counters of backends that stay and drops the others at once', () => {
    const p = new BackendPool('least-connections');
    p.set([b('t1'), b('t2')]);
    p.pick()!.active += 5; // t1
    p.set([b('t2'), b('t1'), b('t3')]);
    expect(p.stats().map((s) => [s.taskId, s.active])).toEqual([
      ['t2', 0],
      ['t1', 5],
      ['t3', 0],
    ]);
    p.set([b('t1')]);
    expect(p.size).toBe(1);
    expect(p.pick()?.backend.taskId).toBe('t1');
  });
});

describe('BackendPool with tasks on other nodes', () => {
  const remote = (id: string, node: string) => ({
    taskId: id,
    address: '198.19.0.2',
    port: 80,
    tunnel: `198.18.0.${node.slice(1)}:7946`,
    node,
  });

  it('round robin takes local and remote replicas alike, in turn', () => {
    const p = new BackendPool();
    p.set([b('t1'), remote('t2', 'n2'), remote('t3', 'n3'), b('t4')]);
    expect([1, 2, 3, 4, 5].map(() => p.pick()?.backend.taskId)).toEqual(['t1', 't2', 't3', 't4', 't1']);
    expect(p.stats().map((s) => s.tunnel)).toEqual([undefined, '198.18.0.2:7946', '198.18.0.3:7946', undefined]);
  });

  it('two tasks with the same container address on different nodes are different backends', () => {
    const p = new BackendPool();
    // Every node has its own IPAM: 198.19.0.2 exists on n2 and on n3.
    p.set([remote('t2', 'n2'), remote('t3', 'n3')]);
    const first = p.pick()!;
    expect(p.pick([first])?.backend.taskId).not.toBe(first.backend.taskId);
  });

  it('a remote task whose node moved its tunnel is a new backend; one that stays keeps its counters', () => {
    const p = new BackendPool('least-connections');
    p.set([remote('t2', 'n2'), remote('t3', 'n3')]);
    p.pick()!.active += 2; // t2
    p.pick()!.active += 1; // t3
    p.set([remote('t2', 'n2'), { ...remote('t3', 'n3'), tunnel: '198.18.0.3:9000' }]);
    expect(p.stats().map((s) => [s.taskId, s.active, s.tunnel])).toEqual([
      ['t2', 2, '198.18.0.2:7946'],
      ['t3', 0, '198.18.0.3:9000'],
    ]);
  });
});
