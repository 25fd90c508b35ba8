// A follower's dispatcher (not started) answers a worker's Session at once with UNAVAILABLE and the
// leader's address, over real gRPC: a refusal that never reaches the worker leaves it waiting
// forever (grpc-js sends no status for a server stream that is destroyed instead of failed).
import * as grpc from '@grpc/grpc-js';
import { LocalProposer, Store } from '../store/store';
import { leaderAddrOf } from '../swarm/redirect';
import { Dispatcher } from './dispatcher';
import { swarmServices } from './proto';

describe('Dispatcher on a follower', () => {
  let server: grpc.Server | null = null;
  afterEach(() => server?.forceShutdown());

  it("refuses a session with the leader's address instead of leaving it open", async () => {
    const p = new LocalProposer();
    const store = new Store(p);
    p.store = store;
    const d = new Dispatcher(store, { clusterId: 'c1', managers: () => [], leaderAddr: () => '198.18.0.9:2377' });
    server = new grpc.Server();
    d.register(server);
    const port = await new Promise<number>((res, rej) =>
      server!.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p2) => (e ? rej(e) : res(p2))),
    );
    const client = new (swarmServices().Dispatcher)(
      `127.0.0.1:${port}`,
      grpc.credentials.createInsecure(),
    ) as unknown as grpc.Client & { Session(req: object): grpc.ClientReadableStream<unknown> };
    try {
      const err = await new Promise<grpc.ServiceError>((resolve, reject) => {
        const s = client.Session({});
        const t = setTimeout(() => reject(new Error('no answer within 3 s: the session was left open')), 3000);
        s.on('data', () => reject(new Error('a follower opened a session')));
        s.on('error', (e: grpc.ServiceError) => {
          clearTimeout(t);
          resolve(e);
        });
      });
      expect(err.code).toBe(grpc.status.UNAVAILABLE);
      expect(leaderAddrOf(err)).toBe('198.18.0.9:2377');
    } finally {
      client.close();
    }
  });
});
