// `swarm init --force-new-cluster`: a new Raft log whose only voter is this manager, starting
// from a snapshot of everything it had applied.
import { rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import { DurableStorage, wrapSnapshot, type RaftNodeStatus, type RecordCipher } from '@flotilla/raft';
import type { NodeState } from './node-state';

/** Replaces the log in `raftDir` with one snapshot at the applied index of `st` (same term). */
export async function writeSingleVoterLog(
  raftDir: string,
  st: RaftNodeStatus,
  self: Pick<NodeState, 'nodeId' | 'advertiseAddr'>,
  storeSnapshot: Uint8Array,
  cipher: RecordCipher,
  log?: Logger,
): Promise<void> {
  const data = wrapSnapshot({ [self.nodeId]: self.advertiseAddr }, storeSnapshot);
  await rm(raftDir, { recursive: true, force: true });
  const storage = await DurableStorage.open(raftDir, { log, cipher });
  try {
    await storage.saveReady({ term: st.term, vote: null, commit: st.applied }, [], {
      meta: { index: st.applied, term: st.term, conf: { voters: [self.nodeId], learners: [] } },
      data,
    });
  } finally {
    await storage.close();
  }
}
