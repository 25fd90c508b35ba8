export { EngineExecutor, type EngineExecutorOptions } from './engine-executor';
export { containerRequest, taskContainerName, TASK_LABELS } from './container-spec';
export { ensureImage, type ImageSources } from './image-source';
