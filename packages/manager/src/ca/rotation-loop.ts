// The leader's root-rotation reconciler: watches nodes and the cluster, and once every node
// reports a certificate from the new root, drops the old root (the join tokens follow).
import type { Logger } from 'pino';
import type { Store } from '../store/store';
import { CLUSTER_OBJECT_ID } from '../store/tables';
import { CoalescedPass } from '../util/coalesced-pass';
import { caStateData, caStateOf, finishRotation, reconcileRotation, swarmTlsInfo } from './rotation';

export class RotationLoop {
  private lastPending = -1;
  private readonly passes = new CoalescedPass(
    () => this.pass(),
    (e) => this.o.log?.warn({ err: e }, 'root rotation pass failed: retrying'),
    500,
  );
  private readonly onChange = (events: { table: string }[]) => {
    if (events.length === 0 || events.some((e) => e.table === 'nodes' || e.table === 'clusters')) this.passes.kick();
  };

  constructor(
    private readonly store: Store,
    private readonly o: { log?: Logger } = {},
  ) {}

  /** A new leader resumes a rotation it finds in the store. */
  start(): void {
    this.store.on('change', this.onChange);
    this.passes.kick();
  }

  stop(): void {
    this.store.off('change', this.onChange);
  }

  private async pass(): Promise<void> {
    const c = this.store.state.get('clusters', CLUSTER_OBJECT_ID);
    if (!c?.Data?.rootRotation) return;
    const nodes = this.store.state.list('nodes').map((n) => ({ id: n.ID, tlsInfo: n.Description.TLSInfo }));
    const { reissue, finish } = reconcileRotation(caStateOf(c.Data), nodes);
    if (reissue.length !== this.lastPending) {
      this.lastPending = reissue.length;
      this.o.log?.info({ pending: reissue, nodes: nodes.length }, 'root rotation: nodes still to move to the new root');
    }
    if (!finish) return;
    await this.store.update((tx) => {
      const cur = tx.get('clusters', CLUSTER_OBJECT_ID);
      if (!cur) return;
      const s = caStateOf(cur.Data);
      // Decided again inside the transaction: a node may have joined or a new rotation begun.
      const again = reconcileRotation(
        s,
        tx.list('nodes').map((n) => ({ id: n.ID, tlsInfo: n.Description.TLSInfo })),
      );
      if (!again.finish) return;
      const done = finishRotation(s);
      tx.update('clusters', {
        ...cur,
        Data: { ...cur.Data, ...caStateData(done) },
        TLSInfo: swarmTlsInfo(done),
        RootRotationInProgress: false,
      });
    });
    this.lastPending = -1;
    this.o.log?.info({}, 'root rotation complete: the old root CA is no longer trusted');
  }
}
