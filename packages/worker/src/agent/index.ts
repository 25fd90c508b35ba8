export { Agent, type AgentOptions } from './agent';
export { TaskRejectedError, type Executor, type TaskController, type ExitStatus } from './executor';
export { TaskRunner } from './task-runner';
