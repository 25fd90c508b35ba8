import * as grpc from '@grpc/grpc-js';

/** Trailing metadata key with which a follower names the leader's address. */
export const LEADER_ADDR_KEY = 'leader-addr';

/** UNAVAILABLE with the leader's address: a follower's answer to leader-only calls. */
export function notLeaderStatus(message: string, leaderAddr: string | null): grpc.ServiceError {
  const metadata = new grpc.Metadata();
  metadata.set(LEADER_ADDR_KEY, leaderAddr ?? '');
  return Object.assign(new Error(message), { code: grpc.status.UNAVAILABLE, details: message, metadata });
}

/** The leader's address a follower's refusal carries, if any. */
export function leaderAddrOf(e: unknown): string | null {
  const md = (e as { metadata?: grpc.Metadata }).metadata;
  const v = md instanceof grpc.Metadata ? md.get(LEADER_ADDR_KEY)[0] : undefined;
  return typeof v === 'string' && v ? v : typeof v === 'object' && v.length ? v.toString() : null;
}
