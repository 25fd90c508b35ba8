export * from './compose';
export { main as cliMain, runCli } from './cli/main';
export type { Io as CliIo } from './cli/io';
export { parseArgs, UsageError, type FlagSpec, type ParsedArgs } from './cli/args';
