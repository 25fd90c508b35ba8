export { ComposeError, InterpolationError, type SourcePos } from './errors';
export { interpolate } from './interpolate';
export { parseDotenv } from './dotenv';
export { loadStack, type LoadOptions, type LoadedStack } from './load';
export { NAMESPACE_LABEL, type StackSpec } from './normalize';
export { parseBytes, parseCpus, parseDuration, parseFileMode, splitShellWords } from './units';
export type { FileObjectKind, StackFileObjects } from './file-objects';
