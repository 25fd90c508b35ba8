// The manager's gRPC services on a cluster listener: a server of its own when the node has none,
// and taking its services off the node's listener when the manager stops.
import * as grpc from '@grpc/grpc-js';
import { swarmServices } from '../dispatcher/proto';
import { raftService } from '@flotilla/raft';
import { serverCredentials, type NodeTls } from './credentials';

/** Binds a server for the manager alone on `listenAddr`. */
export async function bindManagerServer(
  listenAddr: string,
  tls: NodeTls,
): Promise<{ server: grpc.Server; port: number }> {
  // Joining nodes have no certificate yet: the CA's join call is open, every other call checks one.
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
  const port = await new Promise<number>((res, rej) =>
    server.bindAsync(listenAddr, serverCredentials(tls, false), (e, p) =>
      e ? rej(new Error(`cannot listen on ${listenAddr}: ${e.message}`)) : res(p),
    ),
  );
  return { server, port };
}

/** Removes Raft, the dispatcher, the CA and RaftMembership from a node's listener. */
export function removeManagerServices(server: grpc.Server): void {
  const s = swarmServices();
  for (const svc of [s.Dispatcher.service, s.CA.service, s.RaftMembership.service, raftService().service])
    server.removeService(svc);
}
