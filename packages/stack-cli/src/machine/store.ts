// Machine state files: <storage>/<name>/config.json, so machines outlive the CLI process.
import { existsSync, readFileSync, readdirSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { type MachineState, parseState } from './spec';

export const DEFAULT_STORAGE = '/var/lib/flotilla/machines';

export class MachineNotFoundError extends Error {
  constructor(name: string) {
    super(`Host does not exist: "${name}"`);
    this.name = 'MachineNotFoundError';
  }
}

export const storageOf = (env: NodeJS.ProcessEnv): string => env.FLOTILLA_MACHINE_STORAGE || DEFAULT_STORAGE;
const configFile = (storage: string, name: string): string => join(storage, name, 'config.json');

export function loadMachine(storage: string, name: string): MachineState {
  const f = configFile(storage, name);
  if (!existsSync(f)) throw new MachineNotFoundError(name);
  return parseState(readFileSync(f, 'utf8'), f);
}

export function saveMachine(storage: string, m: MachineState): void {
  const f = configFile(storage, m.name);
  writeFileSync(`${f}.tmp`, `${JSON.stringify(m, null, 2)}\n`);
  renameSync(`${f}.tmp`, f);
}

export function listMachines(storage: string): MachineState[] {
  if (!existsSync(storage)) return [];
  return readdirSync(storage, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(configFile(storage, d.name)))
    .map((d) => loadMachine(storage, d.name))
    .sort((a, b) => a.name.localeCompare(b.name));
}
