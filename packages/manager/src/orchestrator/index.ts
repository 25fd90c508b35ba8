export { Orchestrator, type OrchestratorOptions } from './orchestrator';
export { reconcileReplicated, reconcileGlobal, specChangeNeedsUpdate, TASK_HISTORY_RETENTION, type Action } from './reconcile';
export { planUpdate } from './updater';
export { taskMatchesService } from './spec-match';
