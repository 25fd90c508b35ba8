// The loops only the leader runs (orchestrator, scheduler, dispatcher) and its record of when
// each Raft member was last active (what reachability and the quorum checks read).
import type { Logger } from '@flotilla/engine-core';
import type { Dispatcher } from '../dispatcher/dispatcher';
import { Orchestrator } from '../orchestrator/orchestrator';
import { RotationLoop } from '../ca/rotation-loop';
import type { RaftNodeStatus } from '@flotilla/raft';
import { SchedulerLoop } from '../scheduler/loop';
import type { Store } from '../store/store';

export class LeaderLoops {
  private orchestrator: Orchestrator | null = null;
  private scheduler: SchedulerLoop | null = null;
  private rotation: RotationLoop | null = null;
  private sampler: NodeJS.Timeout | null = null;
  private readonly lastActive = new Map<string, number>();
  /** When this manager last became the leader (ms since the epoch). */
  leaderSince = 0;

  constructor(
    private readonly store: Store,
    private readonly dispatcher: Dispatcher,
    private readonly o: {
      log: Logger;
      /** Raft's status now (its per-member progress says who was recently active). */
      raftStatus: () => RaftNodeStatus;
      sampleEveryMs: number;
    },
  ) {}

  /** Starts the loops when this manager leads, stops them when it no longer does. */
  follow(lead: boolean): void {
    if (lead && !this.orchestrator) {
      this.orchestrator = new Orchestrator(this.store, { log: this.o.log.child({ component: 'orchestrator' }) });
      this.scheduler = new SchedulerLoop(this.store, { log: this.o.log.child({ component: 'scheduler' }) });
      this.rotation = new RotationLoop(this.store, { log: this.o.log.child({ component: 'ca' }) });
      this.orchestrator.start();
      this.scheduler.start();
      this.rotation.start();
      this.dispatcher.start();
      this.lastActive.clear();
      this.leaderSince = Date.now();
      this.sampler = setInterval(() => this.sampleActivity(), this.o.sampleEveryMs);
      this.sampler.unref();
    } else if (!lead && this.orchestrator) {
      this.stop();
    }
  }

  stop(): void {
    this.orchestrator?.stop();
    this.scheduler?.stop();
    this.rotation?.stop();
    this.rotation = null;
    this.dispatcher.stop();
    this.orchestrator = null;
    this.scheduler = null;
    if (this.sampler) clearInterval(this.sampler);
    this.sampler = null;
  }

  /** Whether Raft heard from `id` within the last `windowMs` (as sampled). */
  activeWithin(id: string, windowMs: number): boolean {
    const seen = this.lastActive.get(id);
    return seen !== undefined && Date.now() - seen < windowMs;
  }

  /** Raft resets its per-member activity every election timeout: remember when each was last active. */
  private sampleActivity(): void {
    const progress = this.o.raftStatus().progress ?? {};
    const now = Date.now();
    for (const [id, pr] of Object.entries(progress)) if (pr.recentActive) this.lastActive.set(id, now);
  }
}
