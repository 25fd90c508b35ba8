// A manager follows the cluster's autolock setting with its own keys on disk: autolock on (or a
// rotated unlock key) wraps its data key and TLS key with the cluster's unlock key; autolock off
// unwraps them. One change at a time, in the order the store applied them.
import type { Logger } from '@flotilla/engine-core';
import { CLUSTER_OBJECT_ID, type ClusterObject } from '../store/tables';
import type { NodeKeyFiles } from './lock-state';

/** Pure: the unlock key a manager's keys should be wrapped with under `c` (null: plain). */
export function wantedUnlockKey(c: ClusterObject | undefined): string | null | undefined {
  if (!c) return undefined;
  const key = c.Data?.unlockKey;
  return c.Spec.EncryptionConfig?.AutoLockManagers && typeof key === 'string' ? key : null;
}

export class AutolockFollower {
  private chain: Promise<void> = Promise.resolve();
  private target: string | null | undefined;

  constructor(
    private readonly keys: NodeKeyFiles,
    private readonly cluster: () => ClusterObject | undefined,
    private readonly log: Logger,
  ) {}

  /** Called after every applied change: starts a re-wrap when the wanted key differs. */
  check(): void {
    const want = wantedUnlockKey(this.cluster());
    if (want === undefined) return;
    const have = this.target !== undefined ? this.target : this.keys.wrappedWith();
    if (want === have) return;
    this.target = want;
    this.chain = this.chain
      .then(() => this.keys.wrapWith(want))
      .then(
        () =>
          this.log.info(
            { autolock: want !== null },
            want ? 'manager keys wrapped with the unlock key' : 'manager keys unwrapped (autolock off)',
          ),
        (e: Error) => {
          this.target = undefined;
          this.log.error({ err: e }, 'could not re-wrap the manager keys for autolock');
        },
      );
  }

  /** Resolves once every re-wrap started so far is on disk. */
  settled(): Promise<void> {
    return this.chain;
  }
}

/** The follower of `store`'s cluster object for the keys under `dir` (<data-root>/swarm). */
export function followAutolock(
  store: {
    on(e: 'change', f: (events: { table: string }[]) => void): unknown;
    state: { get(t: 'clusters', id: string): ClusterObject | undefined };
  },
  keys: NodeKeyFiles,
  log: Logger,
): AutolockFollower {
  const f = new AutolockFollower(keys, () => store.state.get('clusters', CLUSTER_OBJECT_ID), log);
  // Only the cluster object carries the setting; an empty batch is a restore from a snapshot.
  store.on('change', (events) => {
    if (events.length === 0 || events.some((e) => e.table === 'clusters')) f.check();
  });
  return f;
}
