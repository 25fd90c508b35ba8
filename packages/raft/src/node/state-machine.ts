/**
 * The replicated application. Calls are serialized and happen in log order on every member, so
 * apply must be deterministic: the same entries in the same order give the same state and results.
 */
export interface StateMachine<R = unknown> {
  /**
   * Applies one committed proposal (the bytes passed to propose()) at log `index`. Proposals made
   * together are group-committed in one log entry: several consecutive calls may share an index.
   */
  apply(data: Uint8Array, index: number): R;
  /** A consistent image of the state after the last applied entry. */
  snapshot(): Uint8Array;
  /** Replaces the whole state with a snapshot() image (on restart or when the leader sends one). */
  restore(data: Uint8Array): void;
}
