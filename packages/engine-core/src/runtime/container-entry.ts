// One container as the manager holds it in memory: its persisted record, the current run's
// process and log writer, the listeners waiting on it, and the lock that orders its operations.
import { EventEmitter } from 'node:events';
import type { Readable } from 'node:stream';
import type { ContainerProcess } from './container-process';
import type { ContainerRecord } from './container-types';
import type { HealthMonitor } from './health-monitor';
import type { JsonFileLogWriter } from './log-file';

export interface Entry {
  rec: ContainerRecord;
  dir: string;
  proc: ContainerProcess | null;
  log: JsonFileLogWriter | null;
  /** Raw output of the current run for attach clients: 'data' OutputChunk, 'end' at exit. */
  output: EventEmitter;
  pendingStdin: Readable[];
  lock: Promise<unknown>;
  restartTimer: NodeJS.Timeout | null;
  restartDelay: number;
  /** Resolves when the current run's exit has been fully processed. */
  runDone: Promise<void> | null;
  exitListeners: Set<() => void>;
  removedListeners: Set<() => void>;
  removing: boolean;
  execIds: Set<string>;
  health: HealthMonitor | null;
}

/** What the manager's collaborators may do with an entry besides changing it: persist it, announce an event. */
export interface EntryHooks {
  save(e: Entry): void;
  emit(e: Entry, action: string, extra?: Record<string, string>): void;
}

export function newEntry(rec: ContainerRecord, dir: string): Entry {
  const entry: Entry = {
    rec,
    dir,
    proc: null,
    log: null,
    output: new EventEmitter(),
    pendingStdin: [],
    lock: Promise.resolve(),
    restartTimer: null,
    restartDelay: 0,
    runDone: null,
    exitListeners: new Set(),
    removedListeners: new Set(),
    removing: false,
    execIds: new Set(),
    health: null,
  };
  entry.output.setMaxListeners(0);
  return entry;
}

/** Runs `fn` after every operation queued on the container before it (whether they failed or not). */
export function withLock<T>(e: Entry, fn: () => Promise<T>): Promise<T> {
  const run = e.lock.then(fn, fn);
  e.lock = run.catch(() => undefined);
  return run;
}
