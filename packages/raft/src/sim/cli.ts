// `npm run sim:raft -- --seeds N [--seed S] [--nodes 3|5] [--ticks T] [--verbose] [--keep-going]`
// Runs N schedules from seed S (alternating 3 and 5 nodes unless --nodes is given), prints
// progress and a summary, and on a violation prints the seed and the schedule and exits 1.
import { runSeed, type SimResult } from './simulation';

interface Args {
  seeds: number;
  seed: number;
  nodes?: 3 | 5;
  ticks?: number;
  verbose: boolean;
  /** Count every failing seed instead of stopping at the first (for measuring the checker). */
  keepGoing: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { seeds: 100, seed: 1, verbose: false, keepGoing: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const val = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 0) throw new Error(`${flag} needs a non-negative integer`);
      return v;
    };
    switch (flag) {
      case '--seeds':
        a.seeds = val();
        break;
      case '--seed':
        a.seed = val();
        break;
      case '--nodes': {
        const n = val();
        if (n !== 3 && n !== 5) throw new Error('--nodes must be 3 or 5');
        a.nodes = n;
        break;
      }
      case '--ticks':
        a.ticks = val();
        break;
      case '--verbose':
        a.verbose = true;
        break;
      case '--keep-going':
        a.keepGoing = true;
        break;
      case '-h':
      case '--help':
        console.log('usage: sim:raft -- --seeds N [--seed S] [--nodes 3|5] [--ticks T] [--verbose] [--keep-going]');
        process.exit(0);
        break;
      default:
        throw new Error(`unknown flag ${flag} (see --help)`);
    }
  }
  return a;
}

/** Seeds alternate between 3 and 5 nodes so one number names one schedule. */
export function nodesFor(seed: number, forced?: 3 | 5): 3 | 5 {
  return forced ?? (seed % 2 === 0 ? 3 : 5);
}

function printFailure(r: SimResult, a: Args): void {
  console.log(`\nVIOLATION at seed ${r.seed} (${r.nodes} nodes): ${r.violation}`);
  console.log(`params: ${r.params}`);
  console.log(`schedule (${r.schedule.length} steps):`);
  for (const s of r.schedule) console.log(`  ${s}`);
  const ticks = a.ticks !== undefined ? ` --ticks ${a.ticks}` : '';
  console.log(`\nreplay: npm run sim:raft -- --seed ${r.seed} --seeds 1 --nodes ${r.nodes}${ticks} [--verbose]`);
}

function main(): void {
  let a: Args;
  try {
    a = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`sim:raft: ${(e as Error).message}`);
    process.exit(2);
  }
  const started = Date.now();
  let failed = 0;
  let unknownLin = 0;
  const totals = {
    elections: 0,
    applied: 0,
    ops: 0,
    opsAcked: 0,
    messages: 0,
    crashes: 0,
    truncations: 0,
    confChanges: 0,
  };
  const every = Math.max(1, Math.floor(a.seeds / 20));
  for (let i = 0; i < a.seeds; i++) {
    const seed = a.seed + i;
    const r = runSeed(seed, { nodes: nodesFor(seed, a.nodes), ticks: a.ticks, verbose: a.verbose });
    for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += r.stats[k];
    if (r.stats.linearizability === 'unknown') unknownLin++;
    if (!r.ok) {
      failed++;
      if (!a.keepGoing) {
        printFailure(r, a);
        break;
      }
      console.log(`VIOLATION at seed ${r.seed} (${r.nodes} nodes): ${r.violation?.split('\n')[0]}`);
    }
    if (a.seeds === 1 && a.verbose) for (const s of r.schedule) console.log(`  ${s}`);
    if ((i + 1) % every === 0 || i + 1 === a.seeds) {
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      console.log(`seeds ${seed - a.seed + 1}/${a.seeds} done, ${failed} failed (${secs}s)`);
    }
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `sim:raft ${failed === 0 ? 'PASS' : 'FAIL'}: seeds ${a.seed}..${a.seed + a.seeds - 1}, ${failed} violation(s), ${secs}s; ` +
      `elections ${totals.elections}, entries applied ${totals.applied}, client ops ${totals.ops} (${totals.opsAcked} acknowledged), ` +
      `messages ${totals.messages}, crashes ${totals.crashes}, log truncations ${totals.truncations}, conf changes ${totals.confChanges}, linearizability undecided ${unknownLin}`,
  );
  process.exit(failed === 0 ? 0 : 1);
}

if (require.main === module) main();
