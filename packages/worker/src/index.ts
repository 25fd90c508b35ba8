export * from './mesh';
export * from './agent';
export * from './executor';
export * from './node';
export * from './api';
export * from './peer';
