import * as grpc from '@grpc/grpc-js';
import { NodeCertificates, type NodeTls } from '@flotilla/manager';
import { ClusterListenError } from './errors';

/** Adds a gRPC service to a node's cluster listener (and removes it again, if it must). */
export type NodeServiceRegistration = (server: grpc.Server) => void;

/**
 * One gRPC server per node on its cluster address (2377), for every role: managers add Raft, the
 * dispatcher and the CA to it; every node adds its node services (peer image fetch, task logs).
 * TLS does not require a client certificate so that a joining node can reach the CA; every other
 * call checks the caller's certificate itself.
 */
export class NodeServer {
  private server: grpc.Server | null = null;
  private identity: NodeCertificates | null = null;
  private readonly registrations: NodeServiceRegistration[] = [];
  port = 0;

  /** Registered services are added now if the server runs, and at every later start. */
  register(fn: NodeServiceRegistration): void {
    this.registrations.push(fn);
    if (this.server) fn(this.server);
  }

  get running(): grpc.Server | null {
    return this.server;
  }

  async start(listenAddr: string, tls: NodeTls): Promise<grpc.Server> {
    if (this.server) return this.server;
    const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
    for (const fn of this.registrations) fn(server);
    const identity = new NodeCertificates(tls);
    const creds = identity.server();
    this.port = await new Promise<number>((res, rej) =>
      server.bindAsync(listenAddr, creds, (e, p) => {
        if (!e) return res(p);
        server.forceShutdown();
        rej(new ClusterListenError(listenAddr, e));
      }),
    );
    this.server = server;
    this.identity = identity;
    return server;
  }

  /** A renewed certificate (promotion, demotion): new connections get it; the port stays. */
  updateTls(tls: NodeTls): void {
    this.identity?.update(tls);
  }

  stop(): void {
    this.server?.forceShutdown();
    this.server = null;
    this.identity = null;
    this.port = 0;
  }
}
