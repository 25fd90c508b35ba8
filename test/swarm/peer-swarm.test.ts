// Two swarm nodes in this process (a manager and a worker, each with its own engine, on loopback
// ports): a service whose image only the manager has runs on the worker (the worker fetches the
// image from its manager over the node-level gRPC server), and `service logs` on the manager
// shows the worker's lines, prefixed with the worker's hostname. Then certificate renewal: with
// very short-lived node certificates, a worker renews its own before each runs out and keeps working.
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { join } from 'node:path';
import { CLUSTER_OBJECT_ID, identityOf, TaskState } from '@flotilla/manager';
import { makeImage } from './peer-fixture';
import { startNode, stopNode, type TestNode } from './node-fixture';
import { freePort } from '../engine/harness';
import { until } from './until';

jest.setTimeout(120_000);

let a: TestNode;
let b: TestNode;

beforeAll(async () => {
  const node = (name: string) => startNode({ prefix: `peer-swarm-${name}`, hostname: name, heartbeatPeriodMs: 500 });
  [a, b] = await Promise.all([node('node-a'), node('node-b')]);
});

afterAll(async () => {
  await stopNode(b);
  await stopNode(a);
});

test('a worker runs a task whose image only the manager has; service logs on the manager read it from the worker', async () => {
  const [pa, pb] = [await freePort(), await freePort()];
  await a.node.init({ ListenAddr: `127.0.0.1:${pa}`, AdvertiseAddr: `127.0.0.1:${pa}` });
  const mgr = a.node.requireManager();
  const img = await makeImage(
    a.images,
    'friendlyhello:latest',
    { 'app/hello.txt': 'hello from the manager\n' },
    { base: 'busybox:latest' },
  );
  await b.node.join({
    RemoteAddrs: [`127.0.0.1:${pa}`],
    JoinToken: mgr.cluster.joinToken('worker'),
    ListenAddr: `127.0.0.1:${pb}`,
    AdvertiseAddr: `127.0.0.1:${pb}`,
  });
  await until(
    () => mgr.store.state.list('nodes').filter((n) => n.Status.State === 'ready').length,
    (n) => n === 2,
    'two ready nodes',
  );

  await mgr.services.create({
    Name: 'web',
    Labels: {},
    TaskTemplate: {
      ContainerSpec: {
        Image: 'friendlyhello:latest',
        Args: ['sh', '-c', 'cat /app/hello.txt; i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done'],
        StopGracePeriod: 1e9,
      },
      Placement: { Constraints: ['node.role==worker'] },
    },
    Mode: { Replicated: { Replicas: 1 } },
  });
  const running = () => mgr.store.state.list('tasks').filter((t) => t.Status.State === TaskState.RUNNING);
  const [task] = await until(running, (r) => r.length === 1, 'the task running on the worker');
  expect(task?.NodeID).toBe(b.node.state!.nodeId);
  expect(b.images.lookup('friendlyhello:latest')).toBe(img.id);

  const stop = new AbortController();
  const lines: string[] = [];
  const nodeAddr = (id: string) => (id === b.node.state!.nodeId ? `127.0.0.1:${pb}` : undefined);
  for await (const l of a.node.serviceLogs('web', { follow: true, signal: stop.signal, nodeAddr })) {
    lines.push(l.line);
    if (l.line.includes('tick 3')) stop.abort();
  }
  const prefix = `web.1.${task?.ID.slice(0, 12)}@node-b    | `;
  expect(lines.slice(0, 4)).toEqual([
    `${prefix}hello from the manager\n`,
    `${prefix}tick 1\n`,
    `${prefix}tick 2\n`,
    `${prefix}tick 3\n`,
  ]);
  await b.node.leave(true);
  await a.node.leave(true);
});

test('node certificates renew before they expire: a worker with 6-second certificates keeps working past several lifetimes', async () => {
  const [pa, pb] = [await freePort(), await freePort()];
  await a.node.init({ ListenAddr: `127.0.0.1:${pa}`, AdvertiseAddr: `127.0.0.1:${pa}` });
  const mgr = a.node.requireManager();
  // Far below docker's 1 h minimum (which the API enforces), to see several renewals here.
  await mgr.store.update((tx) => {
    const c = tx.get('clusters', CLUSTER_OBJECT_ID)!;
    tx.update('clusters', { ...c, Spec: { ...c.Spec, CAConfig: { NodeCertExpiry: 6e9 } } });
  });
  await b.node.join({
    RemoteAddrs: [`127.0.0.1:${pa}`],
    JoinToken: mgr.cluster.joinToken('worker'),
    ListenAddr: `127.0.0.1:${pb}`,
    AdvertiseAddr: `127.0.0.1:${pb}`,
  });
  const certFile = join(b.paths.root, 'swarm', 'certs', 'node.crt');
  const first = identityOf(readFileSync(certFile, 'utf8'));
  expect(first.notAfter.getTime() - Date.now()).toBeLessThanOrEqual(6000);

  await new Promise((r) => setTimeout(r, 14_000));
  const current = identityOf(readFileSync(certFile, 'utf8'));
  expect(current).toMatchObject({ nodeId: first.nodeId, role: 'swarm-worker', clusterId: first.clusterId });
  expect(current.notAfter.getTime()).toBeGreaterThan(Date.now());
  expect(current.notAfter.getTime() - first.notAfter.getTime()).toBeGreaterThan(8000);
  expect(mgr.store.state.get('nodes', b.node.state!.nodeId)?.Status.State).toBe('ready');

  // New handshakes work with what the worker holds now (the first certificate is long expired):
  // a renewal through a fresh channel to the CA, and its listener presents a valid certificate.
  await b.node.renewCertificate();
  const presented = await new Promise<Date>((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port: pb, rejectUnauthorized: false, ALPNProtocols: ['h2'] }, () => {
      resolve(new Date(s.getPeerCertificate().valid_to));
      s.destroy();
    });
    s.on('error', reject);
  });
  expect(presented.getTime()).toBeGreaterThan(Date.now());
  // And a new task still reaches the worker and runs.
  await mgr.services.create({
    Name: 'after-renewal',
    Labels: {},
    TaskTemplate: {
      ContainerSpec: { Image: 'busybox:latest', Args: ['sleep', '60'], StopGracePeriod: 1e9 },
      Placement: { Constraints: ['node.role==worker'] },
    },
    Mode: { Replicated: { Replicas: 1 } },
  });
  await until(
    () =>
      mgr.store.state
        .list('tasks')
        .filter((t) => t.Status.State === TaskState.RUNNING && t.NodeID === b.node.state!.nodeId).length,
    (n) => n === 1,
    'the task running on the renewed worker',
  );
  await b.node.leave(true);
  await a.node.leave(true);
});
