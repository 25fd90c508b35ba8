export { Orchestrator, type OrchestratorOptions } from './orchestrator';
export {
  reconcileReplicated,
  reconcileGlobal,
  specChangeNeedsUpdate,
  TASK_HISTORY_RETENTION,
  type Action,
} from './reconcile';
export { planUpdate } from './updater';
export { taskMatchesService } from './spec-match';
export { DEFAULT_SWARM_ADDR_POOL, DEFAULT_SWARM_SUBNET_SIZE } from './networks';
export { subnetHalves, taskIpRange, desiredVips } from './vips';
export { VipExhaustedError } from './errors';
