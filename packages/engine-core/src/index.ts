export * from './errors';
export * from './log';
export * from './paths';
export type * from './images/types';
export * from './runtime';
export * from './volumes';
export * from './network';
export * from './api';
export * from './daemon';
