// Recovery at daemon start: the records of the last daemon are loaded, and what it ran is cleaned
// up. Its containers lost their stdio with it, so they are killed (`runc delete --force`), their
// sandboxes and cgroups removed, and recorded as exited (like dockerd without live-restore).
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type Logger, silentLogger } from '../log';
import type { DataPaths } from '../paths';
import { leakedCgroups, removeContainerCgroups } from './cgroups';
import type { Entry } from './container-entry';
import type { ContainerNetworking } from './container-network';
import { loadRecords } from './container-store';
import type { ContainerRecord } from './container-types';
import { ZERO_TIME } from './container-views';
import { shouldRestart } from './restart-policy';
import { findRunc, runcDeleteForce } from './runc';

export interface ContainerRecoveryOptions {
  paths: DataPaths;
  networking: ContainerNetworking;
  log?: Logger;
}

/** What the manager does next: remove (auto-remove, or a remove the crash interrupted) or start again. */
export interface RecoveryPlan {
  toRemove: Entry[];
  toRestart: Entry[];
}

export class ContainerRecovery {
  private readonly log: Logger;

  constructor(private readonly o: ContainerRecoveryOptions) {
    this.log = o.log ?? silentLogger;
  }

  /**
   * Loads the records (each registered through `register`, saved through `save` when changed) and
   * cleans up after the previous daemon; returns the containers to remove and those whose restart
   * policy says to start them again.
   */
  async recover(hooks: {
    register(rec: ContainerRecord): Entry;
    save(e: Entry): void;
    hasProcess(id: string): boolean;
  }): Promise<RecoveryPlan> {
    const paths = this.o.paths;
    // Without runc nothing can have run: records load, and `start` explains what to install.
    let haveRunc = true;
    try {
      findRunc();
    } catch {
      haveRunc = false;
      this.log.warn('runc not found: apt-get install runc');
    }
    await Promise.all([
      mkdir(paths.containers, { recursive: true }),
      mkdir(paths.runcRoot, { recursive: true }),
      mkdir(paths.tmp, { recursive: true }),
    ]);
    const { records, orphans } = await loadRecords(paths.containers);
    await Promise.all(orphans.map((o) => rm(join(paths.containers, o), { recursive: true, force: true })));
    const plan: RecoveryPlan = { toRemove: [], toRestart: [] };
    if (!haveRunc) {
      for (const rec of records) hooks.register(rec);
      return plan;
    }
    const leftovers = new Set(await readdir(paths.runcRoot).catch(() => [] as string[]));
    for (const rec of records) {
      const entry = hooks.register(rec);
      const wasActive = ['running', 'paused', 'restarting', 'removing'].includes(rec.state.Status);
      if (wasActive || leftovers.has(rec.id)) {
        await this.cleanupDeadRun(rec);
        leftovers.delete(rec.id);
        if (rec.state.Status === 'removing') {
          plan.toRemove.push(entry);
          continue;
        }
        if (rec.state.Status === 'running' || rec.state.Status === 'paused') {
          rec.state.ExitCode = 255;
          rec.state.FinishedAt = new Date().toISOString();
        }
        Object.assign(rec.state, { Status: 'exited', Running: false, Paused: false, Restarting: false, Pid: 0 });
        hooks.save(entry);
        if (rec.hostConfig.AutoRemove) {
          plan.toRemove.push(entry);
          continue;
        }
      }
      // Like dockerd at start: every container that has run and whose policy says so (stopped by the
      // last daemon's shutdown or crash, not by a user) is started again.
      if (
        rec.state.Status === 'exited' &&
        rec.state.StartedAt !== ZERO_TIME &&
        shouldRestart(rec.hostConfig.RestartPolicy, rec.state.ExitCode, rec.restartCount, rec.manuallyStopped)
      ) {
        plan.toRestart.push(entry);
      }
    }
    // runc state without a record: throwaway build containers or a crash inside create/remove.
    for (const id of leftovers) {
      await runcDeleteForce(paths.runcRoot, id);
      await removeContainerCgroups(paths, id);
    }
    for (const name of await readdir(paths.tmp).catch(() => [] as string[])) {
      if (name.startsWith('build-') || name.startsWith('removed-'))
        await rm(join(paths.tmp, name), { recursive: true, force: true });
    }
    for (const cg of await leakedCgroups(paths)) {
      const id = cg.slice(cg.indexOf('/') + 1);
      if (!hooks.hasProcess(id)) await removeContainerCgroups(paths, id);
    }
    return plan;
  }

  private async cleanupDeadRun(rec: ContainerRecord): Promise<void> {
    // The old daemon's `runc run` may outlive it. It goes first: left alive, it would notice its
    // container die below and run its own clean-up, racing with a restart under the same ID.
    if (rec.runcPid > 0) {
      const cmd = await readFile(`/proc/${rec.runcPid}/cmdline`, 'utf8').catch(() => '');
      if (cmd.includes('runc') && cmd.includes(rec.id)) {
        try {
          process.kill(rec.runcPid, 'SIGKILL');
        } catch {
          // already gone
        }
        for (let i = 0; i < 100 && isLive(rec.runcPid); i++) await new Promise((r) => setTimeout(r, 10));
      }
    }
    await runcDeleteForce(this.o.paths.runcRoot, rec.id);
    await removeContainerCgroups(this.o.paths, rec.id);
    await this.o.networking.teardown(rec);
    rec.runcPid = 0;
  }
}

/** Running or sleeping, not gone and not a zombie (an orphan's zombie waits for a reaper). */
function isLive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
