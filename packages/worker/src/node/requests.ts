// `swarm init` and `swarm join` requests checked and resolved before anything is started: the
// address pools, the listen and advertise addresses, docker's refusals. Pure but for the host's
// default address.
import { checkAddrPool } from '@flotilla/manager';
import { defaultAdvertiseHost, resolveAddr } from './addresses';
import { SwarmStateError } from './errors';

export const DEFAULT_CLUSTER_PORT = 2377;

export interface InitRequest {
  ListenAddr?: string;
  AdvertiseAddr?: string;
  ForceNewCluster?: boolean;
  AutoLockManagers?: boolean;
  DefaultAddrPool?: string[] | null;
  SubnetSize?: number | null;
}

export interface JoinRequest {
  RemoteAddrs: string[];
  JoinToken: string;
  ListenAddr?: string;
  AdvertiseAddr?: string;
}

/** Docker's text when a node in a swarm is asked to init or join one. */
export const alreadyInSwarm = () =>
  new SwarmStateError(
    'This node is already part of a swarm. Use "flotilla swarm leave" to leave this swarm and join another one.',
    503,
  );

const listenAddrOf = (req: { ListenAddr?: string }) =>
  resolveAddr(req.ListenAddr || '0.0.0.0:2377', DEFAULT_CLUSTER_PORT, () => '0.0.0.0');

/** What `swarm init` will use; a bad pool or address is a 400 with what to do. */
export function initSettings(req: InitRequest): {
  addrPool: ReturnType<typeof checkAddrPool>;
  listenAddr: string;
  advertiseAddr: string;
} {
  let addrPool: ReturnType<typeof checkAddrPool>;
  try {
    addrPool = checkAddrPool(req.DefaultAddrPool ?? undefined, req.SubnetSize ?? undefined);
  } catch (e) {
    throw new SwarmStateError((e as Error).message, 400);
  }
  const listenAddr = listenAddrOf(req);
  let advertiseAddr: string;
  try {
    advertiseAddr = resolveAddr(req.AdvertiseAddr, Number(listenAddr.split(':').pop()), () => defaultAdvertiseHost());
  } catch (e) {
    throw new SwarmStateError((e as Error).message, 400);
  }
  return { addrPool, listenAddr, advertiseAddr };
}

/** What `swarm join` will use: the first manager address (port 2377 unless given) and this node's addresses. */
export function joinSettings(req: JoinRequest): { managerAddr: string; listenAddr: string; advertiseAddr: string } {
  const remote = req.RemoteAddrs?.[0];
  if (!remote)
    throw new SwarmStateError('no manager address given: flotilla swarm join --token <token> <manager-ip>:2377', 400);
  const listenAddr = listenAddrOf(req);
  const advertiseAddr = resolveAddr(req.AdvertiseAddr, Number(listenAddr.split(':').pop()), () =>
    defaultAdvertiseHost(),
  );
  const managerAddr = remote.includes(':') ? remote : `${remote}:${DEFAULT_CLUSTER_PORT}`;
  return { managerAddr, listenAddr, advertiseAddr };
}
