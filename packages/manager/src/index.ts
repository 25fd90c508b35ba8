export type * from './api/types';
export * from './store';
export * from './scheduler';
export * from './orchestrator';
export * from './ca';
export { ServiceApi, findService, INGRESS_PORT_RANGE } from './api/services';
export * from './api/errors';
export { validateServiceSpec } from './api/validate';
export * from './dispatcher';
