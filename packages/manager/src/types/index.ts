// The shared object model (Docker Engine API swarm shapes): a leaf that the store, orchestrator,
// scheduler and control API import; it imports nothing of theirs.
export type * from './specs';
