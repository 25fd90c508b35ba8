#!/usr/bin/env node
// Scheduler + orchestrator in-process with simulated nodes (issue 4): time from `service create`
// of N replicas until all N tasks are assigned, on M simulated nodes, through the real store
// (JSON-encoded transactions applied in order; a single-node log with no fsync).
// Usage: node bench/swarm-sim/run.js   (after npm run build). Prints JSON, last line.
'use strict';
const {
  Store,
  LocalProposer,
  ServiceApi,
  Orchestrator,
  SchedulerLoop,
  TaskState,
} = require('../../packages/manager/dist');

function node(i) {
  const id = `node${String(i).padStart(6, '0')}`;
  return {
    ID: id,
    Version: { Index: 0 },
    CreatedAt: '',
    UpdatedAt: '',
    Spec: { Labels: { zone: `z${i % 3}` }, Role: i === 0 ? 'manager' : 'worker', Availability: 'active' },
    Description: {
      Hostname: id,
      Platform: { Architecture: 'x86_64', OS: 'linux' },
      Resources: { NanoCPUs: 2e9, MemoryBytes: 4 * 2 ** 30 },
      Engine: { EngineVersion: '0.1.0' },
    },
    Status: { State: 'ready', Addr: '198.18.0.1' },
  };
}

async function run(replicas, nodes) {
  const p = new LocalProposer();
  const store = new Store(p);
  p.store = store;
  await store.update((tx) => {
    for (let i = 0; i < nodes; i++) tx.create('nodes', node(i));
  });
  const orch = new Orchestrator(store);
  const sched = new SchedulerLoop(store);
  orch.start();
  sched.start();
  let ms;
  try {
    const api = new ServiceApi(store);
    const t0 = process.hrtime.bigint();
    await api.create({
      Name: 'web',
      TaskTemplate: { ContainerSpec: { Image: 'app' } },
      Mode: { Replicated: { Replicas: replicas } },
    });
    for (;;) {
      let assigned = 0;
      for (const t of store.state.list('tasks')) if (t.Status.State === TaskState.ASSIGNED) assigned++;
      if (assigned === replicas) break;
      if (Number(process.hrtime.bigint() - t0) / 1e9 > 120)
        throw new Error(`timed out: ${assigned}/${replicas} assigned`);
      await new Promise((r) => setTimeout(r, 1));
    }
    ms = Number(process.hrtime.bigint() - t0) / 1e6;
  } finally {
    // Also on a timeout: their loops would keep node alive.
    orch.stop();
    sched.stop();
  }
  const perNode = new Map();
  for (const t of store.state.list('tasks')) perNode.set(t.NodeID, (perNode.get(t.NodeID) ?? 0) + 1);
  const counts = [...perNode.values()];
  return {
    replicas,
    nodes,
    assign_all_ms: Math.round(ms),
    min_per_node: Math.min(...counts),
    max_per_node: Math.max(...counts),
  };
}

(async () => {
  const results = [];
  const sizes = process.env.SIZES
    ? JSON.parse(process.env.SIZES)
    : [
        [10_000, 1_000],
        [100_000, 1_000],
        [100_000, 10_000],
      ];
  for (const [r, n] of sizes) {
    const res = await run(r, n);
    console.error(`${r} replicas on ${n} nodes: ${res.assign_all_ms} ms`);
    results.push(res);
  }
  console.log(
    JSON.stringify({ bench: 'swarm-sim', goal: { replicas: 10000, nodes: 1000, assign_all_ms_max: 2000 }, results }),
  );
})().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
