/** Docker's default node certificate lifetime (`swarm update --cert-expiry`). */
export const DEFAULT_NODE_CERT_EXPIRY_MS = 90 * 24 * 3600 * 1000;
/** Docker refuses shorter ones: "minimum certificate expiry time is 1h0m0s". */
export const MIN_NODE_CERT_EXPIRY_MS = 3600 * 1000;

/**
 * When to renew a node certificate (pure): at a random point when 50-80% of what is left of its
 * life has passed, like swarmkit, so that nodes do not all come at once and a renewal that fails
 * has time to be retried. Never sooner than `floorMs` (no tight loop on a nearly expired one).
 */
export function renewalDelayMs(notAfter: Date, now: number, rand: () => number = Math.random, floorMs = 1000): number {
  const left = notAfter.getTime() - now;
  return Math.max(floorMs, Math.floor(left * (0.5 + 0.3 * rand())));
}

/** After a failed renewal: try again soon, but well before the certificate runs out. */
export function renewalRetryMs(notAfter: Date, now: number): number {
  const left = notAfter.getTime() - now;
  return Math.max(1000, Math.min(60_000, Math.floor(left / 10)));
}
