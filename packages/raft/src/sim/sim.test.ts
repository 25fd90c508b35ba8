// The CI batch of the deterministic simulation: 3- and 5-node clusters under partitions, drops,
// duplicates, reordering, delays, crashes with torn writes, restarts and membership changes, each
// checked for Raft's safety properties and a linearizable key-value history. A failure names its
// seed; replay it with `npm run sim:raft -- --seed S --seeds 1 --nodes N --verbose`.
import { runSeed } from './simulation';

const SEEDS_PER_SIZE = 500;

interface Totals {
  opsAcked: number;
  elections: number;
  crashes: number;
  truncations: number;
  confChanges: number;
}

function runBatch(nodes: 3 | 5, from: number): Totals {
  const t: Totals = { opsAcked: 0, elections: 0, crashes: 0, truncations: 0, confChanges: 0 };
  for (let seed = from; seed < from + SEEDS_PER_SIZE; seed++) {
    const r = runSeed(seed, { nodes });
    for (const k of Object.keys(t) as (keyof Totals)[]) t[k] += r.stats[k];
    if (!r.ok) {
      const tail = r.schedule.slice(-60).join('\n');
      throw new Error(
        `seed ${seed} (${nodes} nodes) violated: ${r.violation}\nparams ${r.params}\nlast steps:\n${tail}\nreplay: npm run sim:raft -- --seed ${seed} --seeds 1 --nodes ${nodes} --verbose`,
      );
    }
  }
  return t;
}

/** The batch must actually exercise the faults it claims to survive. */
function expectExercised(t: Totals): void {
  expect(t.opsAcked).toBeGreaterThan(SEEDS_PER_SIZE * 5);
  expect(t.elections).toBeGreaterThan(SEEDS_PER_SIZE);
  expect(t.crashes).toBeGreaterThan(SEEDS_PER_SIZE / 2);
  expect(t.truncations).toBeGreaterThan(10);
  expect(t.confChanges).toBeGreaterThan(SEEDS_PER_SIZE / 4);
}

describe('raft simulation', () => {
  test(`${SEEDS_PER_SIZE} schedules of 3 nodes keep every safety property and linearizability`, () => {
    expectExercised(runBatch(3, 1_000_000));
  }, 180_000);

  test(`${SEEDS_PER_SIZE} schedules of 5 nodes keep every safety property and linearizability`, () => {
    expectExercised(runBatch(5, 2_000_000));
  }, 180_000);

  test('a schedule replays identically from its seed', () => {
    const a = runSeed(42, { nodes: 5 });
    const b = runSeed(42, { nodes: 5 });
    expect(a.schedule).toEqual(b.schedule);
    expect(a.stats).toEqual(b.stats);
    expect(a.stats.elections).toBeGreaterThan(0);
  });
});
