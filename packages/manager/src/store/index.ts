export * from './types';
export * from './errors';
export type { TableName, Tables, NetworkObject, ClusterObject, SecretObject, ConfigObject } from './tables';
export { CLUSTER_OBJECT_ID } from './tables';
export {
  dataAtVersion,
  dataUses,
  versionsInUse,
  prunePastData,
  withNewData,
  type DataTable,
  type DataUse,
} from './data-versions';
export { StoreState, type ChangeEvent } from './state';
export { Store, TxBuilder, LocalProposer, newId, type Proposer, type ApplyResult } from './store';
