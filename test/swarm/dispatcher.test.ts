// Manager <-> worker protocol over real gRPC with mutual TLS on loopback: the dispatcher, the
// orchestrator and scheduler over a store, and worker agents whose executor is a test double
// (the engine-backed executor has its own tests). Kills an agent's session and checks that its
// node goes down and its tasks are replaced on the other node.
import * as grpc from '@grpc/grpc-js';
import {
  createNodeKeyAndCsr,
  Dispatcher,
  LocalProposer,
  Orchestrator,
  RootCA,
  SchedulerLoop,
  ServiceApi,
  Store,
  TaskState,
  type Node,
  type Task,
} from '@flotilla/manager';
import { Agent, type Executor, type TaskController } from '@flotilla/worker';

jest.setTimeout(30_000);

class FakeContainer implements TaskController {
  private exit: ((s: { exitCode: number }) => void) | null = null;
  constructor(
    readonly log: string[],
    readonly id: string,
  ) {}
  async prepare() {
    this.log.push(`prepare ${this.id}`);
  }
  async start() {
    this.log.push(`start ${this.id}`);
    return { containerId: `c-${this.id}` };
  }
  wait() {
    return new Promise<{ exitCode: number }>((r) => (this.exit = r));
  }
  async shutdown() {
    this.log.push(`shutdown ${this.id}`);
    this.exit?.({ exitCode: 0 });
  }
  async remove() {
    this.log.push(`remove ${this.id}`);
  }
}

function executor(hostname: string, log: string[], leftovers: string[] = []): Executor {
  return {
    describe: async () => ({
      Hostname: hostname,
      Platform: { Architecture: 'x86_64', OS: 'linux' },
      Resources: { NanoCPUs: 2e9, MemoryBytes: 2 ** 32 },
      Engine: { EngineVersion: '0.1.0' },
    }),
    controller: (t: Task) => new FakeContainer(log, t.ID),
    // Containers of tasks from before an agent restart.
    existingTaskIds: async () => leftovers,
  };
}

async function until(cond: () => boolean, what: string, ms = 10_000) {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The local proposer, with a switch that makes every proposal fail (a lost proposal). */
class SwitchableProposer extends LocalProposer {
  refuse = false;
  override async propose(data: Uint8Array): Promise<unknown> {
    if (this.refuse) throw new Error('proposal dropped (test)');
    return super.propose(data);
  }
}

describe('dispatcher and agents over mutual TLS', () => {
  let server: grpc.Server;
  let proposer: SwitchableProposer;
  let store: Store;
  let ca: RootCA;
  let port: number;
  let orch: Orchestrator;
  let sched: SchedulerLoop;
  let dispatcher: Dispatcher;
  const agents: Agent[] = [];
  const clusterId = 'testcluster';

  async function nodeCreds(nodeId: string, role: 'swarm-worker' | 'swarm-manager' = 'swarm-worker', authority = ca) {
    const { keyPem, csrPem } = await createNodeKeyAndCsr();
    const cert = await authority.issue(csrPem, { nodeId, role, clusterId });
    return { keyPem, cert };
  }

  beforeAll(async () => {
    ca = await RootCA.create();
    const p = new SwitchableProposer();
    proposer = p;
    store = new Store(p);
    p.store = store;
    const mgr = await nodeCreds('mgr', 'swarm-manager');
    server = new grpc.Server();
    dispatcher = new Dispatcher(store, {
      clusterId,
      heartbeatPeriodMs: 200,
      managers: () => [{ nodeId: 'mgr', addr: `127.0.0.1:${port}` }],
    });
    dispatcher.register(server);
    const creds = grpc.ServerCredentials.createSsl(
      Buffer.from(ca.certPem),
      [{ private_key: Buffer.from(mgr.keyPem), cert_chain: Buffer.from(mgr.cert) }],
      true,
    );
    port = await new Promise<number>((res, rej) =>
      server.bindAsync('127.0.0.1:0', creds, (e, p2) => (e ? rej(e) : res(p2))),
    );
    await store.update((tx) => {
      for (const id of ['w1', 'w2']) {
        const n: Node = {
          ID: id,
          Version: { Index: 0 },
          CreatedAt: '',
          UpdatedAt: '',
          Spec: { Labels: {}, Role: 'worker', Availability: 'active' },
          Description: {
            Hostname: id,
            Platform: { Architecture: 'x86_64', OS: 'linux' },
            Resources: { NanoCPUs: 2e9, MemoryBytes: 2 ** 32 },
            Engine: { EngineVersion: '0.1.0' },
          },
          Status: { State: 'unknown', Addr: '127.0.0.1' },
        };
        tx.create('nodes', n);
      }
    });
    orch = new Orchestrator(store);
    sched = new SchedulerLoop(store);
    orch.start();
    sched.start();
    dispatcher.start();
  });

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.stop()));
    dispatcher.stop();
    orch.stop();
    sched.stop();
    server.forceShutdown();
  });

  async function agent(nodeId: string, log: string[], leftovers: string[] = []) {
    const c = await nodeCreds(nodeId);
    const a = new Agent({
      managers: [`127.0.0.1:${port}`],
      credentials: grpc.credentials.createSsl(Buffer.from(ca.certPem), Buffer.from(c.keyPem), Buffer.from(c.cert)),
      serverName: 'swarm-node',
      executor: executor(nodeId, log, leftovers),
    });
    agents.push(a);
    a.start();
    return a;
  }

  const tasks = () => store.state.list('tasks');
  const running = () =>
    tasks().filter((t) => t.Status.State === TaskState.RUNNING && t.DesiredState === TaskState.RUNNING);

  test('nodes come up with their sessions; replicas run on both; a lost node is replaced', async () => {
    const log1: string[] = [];
    const log2: string[] = [];
    const a1 = await agent('w1', log1);
    await agent('w2', log2);
    await until(() => store.state.list('nodes').every((n) => n.Status.State === 'ready'), 'nodes ready');
    expect(store.state.get('nodes', 'w1')!.Description.Hostname).toBe('w1');

    const api = new ServiceApi(store);
    await api.create({
      Name: 'web',
      TaskTemplate: { ContainerSpec: { Image: 'app' } },
      Mode: { Replicated: { Replicas: 4 } },
    });
    await until(() => running().length === 4, '4 running');
    expect(new Set(running().map((t) => t.NodeID))).toEqual(new Set(['w1', 'w2']));
    expect(running()[0]!.Status.ContainerStatus?.ContainerID).toMatch(/^c-/);

    // Scale down: the removed tasks' containers are shut down by their agents.
    await api.update('web', api.inspect('web').Version.Index, {
      Name: 'web',
      TaskTemplate: { ContainerSpec: { Image: 'app' } },
      Mode: { Replicated: { Replicas: 2 } },
    });
    await until(
      () => running().length === 2 && [...log1, ...log2].filter((l) => l.startsWith('shutdown')).length === 2,
      'scaled to 2',
    );

    // The agent of w1 disappears (its process would be killed): w1 goes down, its tasks move to w2.
    await a1.stop();
    const t0 = Date.now();
    await until(() => store.state.get('nodes', 'w1')!.Status.State === 'down', 'w1 down');
    await until(() => running().length === 2 && running().every((t) => t.NodeID === 'w2'), 'replicas moved to w2');
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  test('a certificate from another CA is refused', async () => {
    const foreign = await RootCA.create();
    const c = await nodeCreds('intruder', 'swarm-worker', foreign);
    const { Dispatcher: Client } = (await import('@flotilla/manager')).swarmServices();
    const client = new Client(
      `127.0.0.1:${port}`,
      grpc.credentials.createSsl(Buffer.from(ca.certPem), Buffer.from(c.keyPem), Buffer.from(c.cert)),
      { 'grpc.ssl_target_name_override': 'swarm-node' },
    ) as unknown as grpc.Client & {
      Heartbeat(req: object, cb: (e: grpc.ServiceError | null) => void): void;
    };
    const err = await new Promise<grpc.ServiceError | null>((r) => client.Heartbeat({ sessionId: 'x' }, r));
    client.close();
    expect(err).not.toBeNull();
    expect(store.state.get('nodes', 'intruder')).toBeUndefined();
  });

  test('an assignments stream with a session that does not exist gets NOT_FOUND at once (it does not hang)', async () => {
    const c = await nodeCreds('w1');
    const { Dispatcher: Client } = (await import('@flotilla/manager')).swarmServices();
    const client = new Client(
      `127.0.0.1:${port}`,
      grpc.credentials.createSsl(Buffer.from(ca.certPem), Buffer.from(c.keyPem), Buffer.from(c.cert)),
      { 'grpc.ssl_target_name_override': 'swarm-node' },
    ) as unknown as grpc.Client & {
      Assignments(req: object): grpc.ClientReadableStream<unknown>;
    };
    const stream = client.Assignments({ sessionId: 'no-such-session' });
    const err = await new Promise<grpc.ServiceError | null>((r) => {
      stream.on('error', r);
      stream.on('data', () => r(null));
      setTimeout(() => r(null), 3000);
    });
    client.close();
    expect(err?.code).toBe(grpc.status.NOT_FOUND);
  });

  test('after a restart, the containers of tasks the swarm no longer has are removed; assigned ones are kept', async () => {
    await until(() => running().length > 0, 'some running task');
    const assigned = running().find((t) => t.NodeID === 'w2')!;
    const log: string[] = [];
    // A second agent for w2, as after a daemon restart: its engine still holds two task containers.
    await agent('w2', log, ['deleted-while-down', assigned.ID]);
    await until(() => log.includes('remove deleted-while-down'), 'the orphan removed');
    expect(log).not.toContain(`remove ${assigned.ID}`);
  });

  /**
   * A node `id` in the store (paused: no tasks land on it) and a bare dispatcher client with its
   * certificate: sessions opened and heartbeats sent by hand, so that a test can fall silent.
   */
  async function rawNode(id: string) {
    await store.update((tx) => {
      const w1 = tx.get('nodes', 'w1')!;
      tx.create('nodes', {
        ...w1,
        ID: id,
        Version: { Index: 0 },
        Spec: { ...w1.Spec, Availability: 'pause' },
        Description: { ...w1.Description, Hostname: id },
        Status: { State: 'unknown', Addr: '127.0.0.1' },
      });
    });
    const c = await nodeCreds(id);
    const { Dispatcher: Client } = (await import('@flotilla/manager')).swarmServices();
    type Msg = { sessionId: string };
    const client = new Client(
      `127.0.0.1:${port}`,
      grpc.credentials.createSsl(Buffer.from(ca.certPem), Buffer.from(c.keyPem), Buffer.from(c.cert)),
      { 'grpc.ssl_target_name_override': 'swarm-node' },
    ) as unknown as grpc.Client & {
      Session(req: object): grpc.ClientReadableStream<Msg>;
      Heartbeat(req: object, cb: (e: grpc.ServiceError | null) => void): void;
    };
    return {
      client,
      state: () => store.state.get('nodes', id)!.Status.State,
      open: () =>
        new Promise<{ id: string; ended: Promise<void> }>((resolve, reject) => {
          const st = client.Session({});
          const ended = new Promise<void>((r) => (st.on('end', () => r()), st.on('error', () => r())));
          st.once('data', (m: Msg) => resolve({ id: m.sessionId, ended }));
          st.once('error', reject);
        }),
      heartbeat: (sessionId: string) =>
        new Promise<grpc.ServiceError | null>((r) => client.Heartbeat({ sessionId }, r)),
    };
  }

  const endedWithin = (p: Promise<void>, what: string) =>
    Promise.race([p, new Promise((_, rej) => setTimeout(() => rej(new Error(what)), 3000))]);

  test('a node whose heartbeats stop while its session stays open goes down; when they resume it is told to open a new session, and is Ready again; a live session keeps its node ready', async () => {
    const w3 = await rawNode('w3');
    try {
      const first = await w3.open();
      await until(() => w3.state() === 'ready', 'w3 ready');
      // A stalled node: the stream stays open, no heartbeat for longer than the grace (3 x 200 ms).
      await until(() => w3.state() === 'down', 'w3 down', 5000);
      await endedWithin(first.ended, "the down node's session was not ended");
      const err = await w3.heartbeat(first.id);
      expect(err?.code).toBe(grpc.status.NOT_FOUND);
      // The agent's answer to NOT_FOUND: a new session, which brings the node back.
      const second = await w3.open();
      expect(second.id).not.toBe(first.id);
      expect(await w3.heartbeat(second.id)).toBeNull();
      await until(() => w3.state() === 'ready', 'w3 ready again');
      // A live session whose node the store has as down (a lost or stale write): its next
      // heartbeat puts it right.
      await store.update((tx) => {
        const n = tx.get('nodes', 'w3')!;
        tx.update('nodes', { ...n, Status: { ...n.Status, State: 'down' } });
      });
      expect(await w3.heartbeat(second.id)).toBeNull();
      await until(() => w3.state() === 'ready', 'w3 ready after its heartbeat', 1000);
    } finally {
      w3.client.close();
    }
  });

  test('a node whose down mark was lost is marked down when the store takes writes again', async () => {
    const w4 = await rawNode('w4');
    try {
      const session = await w4.open();
      await until(() => w4.state() === 'ready', 'w4 ready');
      // No heartbeats: the node expires while no proposal gets through.
      proposer.refuse = true;
      try {
        await endedWithin(session.ended, 'w4 did not expire');
        await new Promise((r) => setTimeout(r, 300));
        expect(w4.state()).toBe('ready'); // the down mark was lost
      } finally {
        proposer.refuse = false;
      }
      await until(() => w4.state() === 'down', 'w4 down once writes go through', 2000);
    } finally {
      w4.client.close();
    }
  });
});
