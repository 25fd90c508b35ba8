import * as grpc from '@grpc/grpc-js';
import { z } from 'zod';
import { PermissionDeniedError } from '../dispatcher/errors';
import { callerIdentity } from '../dispatcher/identity';
import { swarmServices } from '../dispatcher/proto';
import { channelOptions } from './credentials';
import { MembershipError } from './errors';
import { leaderAddrOf, notLeaderStatus } from './redirect';

/** What the RaftMembership service needs from its manager. */
export interface MembershipHost {
  clusterId: string;
  /** null when this manager is the leader, else the leader's address ('' when unknown). */
  redirect(): string | null;
  addManager(nodeId: string, addr: string): Promise<{ nodeId: string; addr: string }[]>;
  removeManager(nodeId: string): Promise<void>;
  members(): { nodeId: string; addr: string }[];
}

const joinSchema = z.object({ addr: z.string().min(3).max(300) });
const leaveSchema = z.object({ nodeId: z.string().min(1).max(64) });

/** The leader's side of managers joining and leaving Raft; only manager certificates may call. */
export function registerMembership(server: grpc.Server, host: MembershipHost): void {
  const unary =
    <Req, Res>(fn: (req: Req, caller: string) => Promise<Res>, anyManager = false) =>
    (call: grpc.ServerUnaryCall<Req, Res>, cb: grpc.sendUnaryData<Res>) => {
      let caller: string;
      try {
        const id = callerIdentity(call, host.clusterId);
        if (id.role !== 'swarm-manager') throw new PermissionDeniedError('only managers may change Raft membership');
        caller = id.nodeId;
      } catch (e) {
        cb(Object.assign(new Error((e as Error).message), { code: grpc.status.PERMISSION_DENIED }));
        return;
      }
      const leader = anyManager ? null : host.redirect();
      if (leader !== null) {
        cb(notLeaderStatus('this manager is not the leader; retry at the leader', leader));
        return;
      }
      fn(call.request, caller).then(
        (r) => cb(null, r),
        (e: Error & { code?: number; status?: number }) =>
          cb(
            Object.assign(new Error(e.message), {
              code: e.code ?? (e.status === 400 ? grpc.status.FAILED_PRECONDITION : grpc.status.UNAVAILABLE),
            }),
          ),
      );
    };
  server.addService(swarmServices().RaftMembership.service, {
    Members: unary(async () => ({ members: host.members() }), true),
    Join: unary(async (req: unknown, caller) => ({
      members: await host.addManager(caller, joinSchema.parse(req).addr),
    })),
    Leave: unary(async (req: unknown) => {
      await host.removeManager(leaveSchema.parse(req).nodeId);
      return {};
    }),
  });
}

type MembershipClient = grpc.Client &
  Record<
    'Members' | 'Join' | 'Leave',
    (req: object, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: unknown) => void) => void
  >;

/**
 * Calls the leader's RaftMembership: tries `addrs` in turn and follows a follower's redirect;
 * gives up after `timeoutMs`.
 */
export async function callLeader<R>(
  addrs: string[],
  creds: grpc.ChannelCredentials,
  method: 'Members' | 'Join' | 'Leave',
  req: object,
  timeoutMs: number,
): Promise<R> {
  const deadline = Date.now() + timeoutMs;
  const queue = [...addrs];
  let last: Error = new Error('no manager address to ask');
  for (let i = 0; Date.now() < deadline; i++) {
    const addr = queue[i % queue.length];
    if (addr === undefined) break; // no address at all
    const client = new (swarmServices().RaftMembership)(addr, creds, channelOptions) as unknown as MembershipClient;
    try {
      return await new Promise<R>((res, rej) =>
        client[method](req, { deadline: deadline }, (e, r) => (e ? rej(e) : res(r as R))),
      );
    } catch (e) {
      const err = e as grpc.ServiceError;
      if (err.code === grpc.status.FAILED_PRECONDITION) throw new MembershipError(err.details);
      if (err.code === grpc.status.PERMISSION_DENIED || err.code === grpc.status.INVALID_ARGUMENT)
        throw new Error(err.details || err.message);
      last = new Error(`${addr}: ${err.details || err.message}`);
      const leader = leaderAddrOf(err);
      if (leader && !queue.includes(leader)) queue.push(leader);
      if (leader) i = queue.indexOf(leader) - 1;
      else await new Promise((r) => setTimeout(r, 100));
    } finally {
      client.close();
    }
  }
  throw last;
}
