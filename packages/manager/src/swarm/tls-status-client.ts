// A node's side of the CA's NodeTLSStatus call: one connection per manager, made with the node's
// current certificate (a new one after every change), so that the CA reads from the handshake
// which root issued the certificate the node uses now.
import type * as grpc from '@grpc/grpc-js';
import { swarmServices } from '../dispatcher/proto';
import { channelCredentials, channelOptions, type NodeTls } from './credentials';

export interface TlsStatusAnswer {
  /** What to trust from now on. */
  trustRootPem: string;
  /** Renew the certificate now (a root rotation is under way). */
  renew: boolean;
}

type StatusClient = grpc.Client & {
  NodeTLSStatus(
    req: { trustRootPem: string },
    opts: grpc.CallOptions,
    cb: (e: grpc.ServiceError | null, r: { trustRootPem?: string; renew?: boolean }) => void,
  ): void;
};

export class TlsStatusClient {
  private tls: NodeTls | null = null;
  private readonly clients = new Map<string, StatusClient>();

  /** Asks the first of `managers` that answers; `tls` is what the node presents and trusts now. */
  async ask(managers: string[], tls: NodeTls, timeoutMs = 5000): Promise<TlsStatusAnswer> {
    if (this.tls !== tls) {
      // A fresh connection: the old one's handshake was made with the previous certificate.
      this.close();
      this.tls = tls;
    }
    let last: Error = new Error('no manager address to ask');
    for (const addr of managers) {
      try {
        const r = await new Promise<{ trustRootPem?: string; renew?: boolean }>((resolve, reject) =>
          this.client(addr, tls).NodeTLSStatus(
            { trustRootPem: tls.caCertPem },
            { deadline: Date.now() + timeoutMs },
            (e, res) => (e ? reject(e) : resolve(res)),
          ),
        );
        return { trustRootPem: r.trustRootPem || tls.caCertPem, renew: !!r.renew };
      } catch (e) {
        last = new Error(`${addr}: ${(e as grpc.ServiceError).details || (e as Error).message}`);
      }
    }
    throw last;
  }

  private client(addr: string, tls: NodeTls): StatusClient {
    let c = this.clients.get(addr);
    if (!c) {
      const { CA } = swarmServices();
      c = new CA(addr, channelCredentials(tls), {
        ...channelOptions,
        'grpc.use_local_subchannel_pool': 1,
      }) as unknown as StatusClient;
      this.clients.set(addr, c);
    }
    return c;
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
    this.tls = null;
  }
}
