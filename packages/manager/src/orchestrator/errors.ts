// Errors of the orchestrator's allocations.
import { ManagerError } from '../errors';

/** A network's VIP range is full: what to do is in the message. */
export class VipExhaustedError extends ManagerError {
  constructor(
    readonly network: string,
    range: string,
  ) {
    super(
      `no free virtual IP left in ${range} (the upper half of network ${network}'s subnet): remove services from the network or use larger subnets (swarm init --default-addr-pool-mask-length)`,
    );
  }
}
