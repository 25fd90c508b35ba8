// Autolock on a node: a manager restarted while its keys are wrapped with the unlock key starts
// nothing of the swarm and answers every swarm request with docker's "locked" 503 until
// `swarm unlock` unwraps them (then the node opens as after any restart).
import { NotLockedError, SwarmLockedError, type NodeState, type SwarmStateFiles } from '@flotilla/manager';
import { SwarmStateError } from './errors';

export class SwarmLock {
  locked = false;

  constructor(private readonly files: SwarmStateFiles) {}

  /** At open: the node's swarm state when its keys are wrapped (nothing may start), else null. */
  async lockedState(): Promise<NodeState | null> {
    if (!(await this.files.keys.isLocked())) return null;
    const state = await this.files.loadState();
    this.locked = state !== null;
    return state;
  }

  /** Unwraps the keys with `key`: docker's refusals when not in a swarm, not locked, or a wrong key. */
  async unlock(inSwarm: boolean, key: string): Promise<void> {
    if (!inSwarm) throw new SwarmStateError('This node is not part of a swarm', 503);
    if (!this.locked) throw new NotLockedError();
    await this.files.keys.unlock(key);
    this.locked = false;
  }

  /** Before serving anything of the swarm. */
  check(): void {
    if (this.locked) throw new SwarmLockedError();
  }

  /** `swarm leave`: a locked node leaves only with --force (its state is erased, keys forgotten). */
  leaving(force: boolean): void {
    if (this.locked && !force) throw new SwarmLockedError();
    this.locked = false;
    this.files.keys.forget();
  }
}
