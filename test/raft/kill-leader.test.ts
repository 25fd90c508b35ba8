// Real processes, real gRPC, real fsync: kill -9 the leader during writes. Raft §5.2 (a new
// leader is elected), §5.4 (it holds every committed entry), §7 (a member that fell behind the
// compacted log catches up by snapshot), §8 (every acknowledged write is durable and visible).
import { KvCluster } from './kv-cluster';

jest.setTimeout(90_000);

const IDS = ['a', 'b', 'c'];
const SNAPSHOT_EVERY = 600;
const KEEP = 50;

let cluster: KvCluster;
let writers: Writers | undefined;
afterAll(async () => {
  await writers?.stop();
  await cluster?.destroy();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, f: () => Promise<T | null | undefined | false>, ms = 15_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** Writers that follow the leader hint and remember which writes were acknowledged. */
class Writers {
  readonly acked = new Map<string, string>();
  private running = true;
  paused = false;
  private loops: Promise<void>[] = [];
  alive = new Set(IDS);
  lastAckAt = 0;

  start(n: number): void {
    this.loops = Array.from({ length: n }, (_, w) => this.loop(w));
  }

  /** The i-th live member, round robin (the test kills one of three at a time). */
  private aliveAt(i: number): string {
    const ids = [...this.alive];
    const id = ids[i % ids.length];
    if (id === undefined) throw new Error('no member is alive');
    return id;
  }

  private async loop(w: number): Promise<void> {
    let target = this.aliveAt(w);
    for (let i = 0; this.running;) {
      if (this.paused) {
        await sleep(10);
        continue;
      }
      if (!this.alive.has(target)) target = this.aliveAt(w);
      const key = `w${w}-${i}`;
      try {
        const r = await cluster.request(target, 'PUT', `/kv/${key}`, `value-${w}-${i}`);
        if (r.status === 200) {
          this.acked.set(key, `value-${w}-${i}`);
          this.lastAckAt = Date.now();
          i++;
          continue;
        }
        const hinted = cluster.idOfRaft(r.json.leaderAddress as string | null);
        if (hinted && this.alive.has(hinted)) target = hinted;
        else await sleep(20);
      } catch {
        // Connection refused or timed out: this member is down or slow; try another.
        target = this.aliveAt(IDS.indexOf(target) + 1);
        await sleep(20);
      }
      // A write whose outcome is unknown is retried under a new key: only acknowledged ones count.
      i++;
    }
  }

  async waitForMore(n: number): Promise<void> {
    const goal = this.acked.size + n;
    await until(`${n} more acknowledged writes`, async () => this.acked.size >= goal, 30_000);
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}

async function commitOf(id: string): Promise<number> {
  const s = await cluster.status(id);
  return s ? (s.applied as number) : -1;
}

test('kill -9 of the leader during writes: failover, catch-up by log and by snapshot, no acknowledged write lost', async () => {
  cluster = await KvCluster.create(IDS, ['--snapshot-every', String(SNAPSHOT_EVERY), '--keep-entries', String(KEEP)]);
  await Promise.all(IDS.map((id) => cluster.start(id)));
  const first = await until('a leader', () => cluster.leader(IDS));

  const w = new Writers();
  writers = w;
  w.start(4);
  await w.waitForMore(100);

  // 1. kill -9 the leader mid-write; the survivors elect a new leader that commits new writes.
  w.alive.delete(first);
  await cluster.kill(first);
  const killedAt = Date.now();
  const survivors = IDS.filter((id) => id !== first);
  const second = await until('a new leader', () => cluster.leader(survivors));
  expect(second).not.toBe(first);
  await until('a write acknowledged after the kill', async () => w.lastAckAt > killedAt);
  await w.waitForMore(100);

  // 2. The old leader restarts and catches up from the log (nothing was compacted yet). Writes
  //    pause meanwhile so that a fast machine cannot reach the next snapshot first.
  w.paused = true;
  await cluster.start(first);
  await until(
    'old leader caught up',
    async () => (await commitOf(first)) >= (await commitOf(second)) && (await commitOf(first)) > 0,
  );
  // Index 1 is the bootstrap snapshot every founding member starts from: no other was taken or sent.
  expect((await cluster.status(second))!.snapshotIndex).toBe(1);
  expect((await cluster.status(first))!.snapshotIndex).toBe(1);
  w.alive.add(first);
  w.paused = false;

  // 3. A member goes down, the others write past a snapshot and compact their log; on restart the
  //    member can only catch up by receiving the leader's snapshot.
  const leaderNow = await until('a leader', () => cluster.leader(IDS));
  const lagger = IDS.find((id) => id !== leaderNow)!;
  const laggerApplied = await commitOf(lagger);
  w.alive.delete(lagger);
  await cluster.kill(lagger);
  await until(
    'leader snapshot past the lagger',
    async () => {
      const s = await cluster.status(leaderNow);
      return s !== null && (s.snapshotIndex as number) - KEEP > laggerApplied;
    },
    40_000,
  );
  await cluster.start(lagger);
  w.alive.add(lagger);
  await until(
    'lagger caught up by snapshot',
    async () => {
      const s = await cluster.status(lagger);
      return (
        s !== null &&
        (s.snapshotIndex as number) > laggerApplied &&
        (s.applied as number) >= (await commitOf(leaderNow)) - 5
      );
    },
    30_000,
  );
  await w.waitForMore(50);
  await w.stop();
  const acked = w.acked;

  // 4. Every acknowledged write is on every member.
  const leaderFinal = await until('a leader', () => cluster.leader(IDS));
  const target = await commitOf(leaderFinal);
  for (const id of IDS) await until(`${id} applied ${target}`, async () => (await commitOf(id)) >= target);
  expect(acked.size).toBeGreaterThan(300);
  for (const id of IDS) {
    const dump = (await cluster.request(id, 'GET', '/dump', undefined, 10_000)).json.data as Record<string, string>;
    const missing = [...acked].filter(([k, v]) => dump[k] !== v).map(([k]) => k);
    expect({ member: id, missing: missing.slice(0, 10), missingCount: missing.length }).toEqual({
      member: id,
      missing: [],
      missingCount: 0,
    });
  }
});
