export type * from './types';
export { ManagerError } from './errors';
export * from './store';
export * from './scheduler';
export * from './orchestrator';
export * from './ca';
export * from './controlapi';
export * from './dispatcher';
export * from './swarm';
