export { Agent, type AgentOptions } from './agent';
export { TaskRejectedError } from './errors';
export { type Executor, type TaskController, type ExitStatus, type TaskEndpoint } from './executor';
export { TaskRunner } from './task-runner';
export { DependencyStore, type DependencyGetter } from './dependencies';
