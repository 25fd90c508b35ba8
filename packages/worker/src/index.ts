export * from './mesh';
export * from './agent';
