// Seeded random requests against a real daemon: wrong methods, odd names and paths, malformed and
// ill-typed JSON, bad query values. Every request must get an answer with docker's {"message"}
// shape for errors, none a 500 (an unexpected failure), and the daemon must keep serving.
// Requests that reach out (pull, push, login, swarm init/join) or stream forever are left out.
// FLOTILLA_FUZZ_SEED replays one seed; the seed is printed when the test fails.
import { request } from 'node:http';
import { TestEngine } from './harness';

jest.setTimeout(300_000);

const engine = new TestEngine('api-fuzz');
const SEED = Number(process.env.FLOTILLA_FUZZ_SEED ?? Date.now() % 1_000_000);
const REQUESTS = 3000;

// Routes with their own method (used 4 times in 5; any method otherwise). X: a name from NAMES.
const ROUTES: [string, string][] = [
  ['GET', '/_ping'],
  ['GET', '/version'],
  ['GET', '/info'],
  ['GET', '/system/df'],
  ['GET', '/containers/json'],
  ['POST', '/containers/create'],
  ['POST', '/containers/X/start'],
  ['POST', '/containers/X/stop'],
  ['POST', '/containers/X/restart'],
  ['GET', '/containers/X/json'],
  ['GET', '/containers/X/logs'],
  ['POST', '/containers/X/kill'],
  ['POST', '/containers/X/exec'],
  ['POST', '/exec/X/start'],
  ['GET', '/exec/X/json'],
  ['GET', '/containers/X/top'],
  ['POST', '/containers/X/resize'],
  ['POST', '/containers/X/rename'],
  ['POST', '/containers/X/pause'],
  ['POST', '/containers/X/unpause'],
  ['GET', '/containers/X/changes'],
  ['DELETE', '/containers/X'],
  ['POST', '/containers/prune'],
  ['POST', '/commit'],
  ['GET', '/images/json'],
  ['GET', '/images/X/json'],
  ['POST', '/images/X/tag'],
  ['GET', '/images/X/history'],
  ['DELETE', '/images/X'],
  ['GET', '/images/get'],
  ['POST', '/images/load'],
  ['POST', '/images/prune'],
  ['POST', '/build'],
  ['GET', '/networks'],
  ['POST', '/networks/create'],
  ['GET', '/networks/X'],
  ['DELETE', '/networks/X'],
  ['POST', '/networks/X/connect'],
  ['POST', '/networks/X/disconnect'],
  ['POST', '/networks/prune'],
  ['GET', '/volumes'],
  ['POST', '/volumes/create'],
  ['GET', '/volumes/X'],
  ['DELETE', '/volumes/X'],
  ['POST', '/volumes/prune'],
  ['GET', '/swarm'],
  ['POST', '/swarm/leave'],
  ['POST', '/swarm/update'],
  ['GET', '/swarm/unlockkey'],
  ['GET', '/services'],
  ['POST', '/services/create'],
  ['GET', '/services/X'],
  ['POST', '/services/X/update'],
  ['GET', '/nodes'],
  ['GET', '/nodes/X'],
  ['GET', '/tasks'],
  ['GET', '/plugins'],
  ['GET', '/../../etc/passwd'],
  ['GET', '/%zz'],
  ['GET', '/v1.41/containers/json'],
  ['GET', '/v9.99/info'],
  ['GET', '/v1.12/info'],
];
// Objects that exist (made in beforeAll; the fuzz may remove them) and names that do not.
const NAMES = [
  'fzc',
  'fzc',
  'fznet',
  'fzvol',
  'busybox',
  'busybox%3Alatest',
  'nosuch',
  '',
  '%00',
  'a'.repeat(300),
  '..',
  'sha256%3A',
  '%22',
  '%2F',
  '%C3%BC',
  '0',
  '-1',
];
const QUERIES = [
  '',
  '?all=1',
  '?all=maybe',
  '?filters=%7B',
  '?filters=%7B%22a%22%3A1%7D',
  '?filters=%5B1%5D',
  '?tail=-5',
  '?since=abc',
  '?t=-1',
  '?t=1e400',
  '?name=%20',
  '?name=ok-name',
  '?signal=SIGFOO',
  '?tag=%3A%3A',
  '?version=-1',
  '?force=maybe',
  '?stdout=1',
  '?rollback=previous',
  '?dangling=true',
  '?repo=UPPER&tag=x',
  '?h=-3&w=abc',
  '?names=a%00b',
];
const BODIES: (string | undefined)[] = [
  undefined,
  '',
  '{',
  'null',
  '[]',
  '{}',
  '"x"',
  '1e999',
  '{"Image":null}',
  '{"Image":"busybox","Cmd":"true"}',
  '{"Image":"busybox","Cmd":["true"],"HostConfig":{"Memory":-1,"PortBindings":{"80/tcp":[{"HostPort":"abc"}]}}}',
  '{"Image":"busybox","HostConfig":{"NetworkMode":"container:nosuch","Binds":["relative:/x"]}}',
  '{"Image":"busybox","Env":[1,2],"ExposedPorts":"x","Entrypoint":{}}',
  '{"Name":{},"Labels":[1]}',
  '{"Name":"fz","Driver":"overlay","IPAM":{"Config":[{"Subnet":"300.1.1.1/99"}]}}',
  '{"Name":"fz2","IPAM":{"Config":[{"Subnet":"198.18.0.0/8"}]}}',
  '{"Container":"nosuch","EndpointConfig":{"IPAMConfig":{"IPv4Address":"x"}}}',
  '{"Spec":null}',
  '{"TaskTemplate":{"ContainerSpec":{}}}',
  '{"Cmd":["true"],"AttachStdout":"yes"}',
  JSON.stringify({ a: 'x'.repeat(100_000) }),
  '{"__proto__":{"polluted":1}}',
  '{"constructor":{"prototype":{"x":1}}}',
];

/** One request with a deadline: a daemon that never answers is a failure too. */
function call(
  method: string,
  path: string,
  body: string | undefined,
  timeoutMs = 15_000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers =
      body !== undefined
        ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) }
        : {};
    const req = request({ socketPath: engine.socket, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

beforeAll(async () => {
  await engine.start();
  await engine.importBusybox();
  await engine.ok(['network', 'create', 'fznet']);
  await engine.ok(['volume', 'create', 'fzvol']);
  // It ends on SIGTERM (within a second), so stop and restart need no grace period of 10 s.
  await engine.ok([
    'run',
    '-d',
    '--name',
    'fzc',
    '--network',
    'fznet',
    '-v',
    'fzvol:/data',
    'busybox',
    'sh',
    '-c',
    'trap "exit 0" TERM; while :; do sleep 1; done',
  ]);
});

afterAll(async () => {
  await engine.cleanup();
});

test(`${REQUESTS} random requests: answered, no 500, the daemon keeps serving (seed ${SEED})`, async () => {
  const rand = rng(SEED);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rand() * a.length)]!;
  const bad: string[] = [];
  for (let i = 0; i < REQUESTS && bad.length < 10; i++) {
    const [own, route] = pick(ROUTES);
    const path = route.replace('X', pick(NAMES)) + pick(QUERIES);
    const method = rand() < 0.8 ? own : pick(['GET', 'POST', 'DELETE', 'PUT', 'HEAD']);
    const body = pick(BODIES);
    const what = `${method} ${path.slice(0, 120)} body=${JSON.stringify(body)?.slice(0, 60)}`;
    try {
      const r = await call(method, path, body);
      if (r.status >= 500) bad.push(`${r.status} ${what}: ${r.body.slice(0, 200)}`);
      else if (r.status >= 400 && method !== 'HEAD' && !/^\{"message":".*"\}$/s.test(r.body.trim()))
        bad.push(`${r.status} without docker's {"message"} body: ${what}: ${r.body.slice(0, 200)}`);
    } catch (e) {
      bad.push(`no answer (${(e as Error).message}): ${what}`);
    }
  }
  if (bad.length) process.stderr.write(`api fuzz failed with seed ${SEED} (replay: FLOTILLA_FUZZ_SEED=${SEED})\n`);
  expect(bad).toEqual([]);
  expect(await engine.api('GET', '/_ping')).toEqual({ status: 200, body: 'OK' });
  // It still does real work (the fuzz may have removed the image: import it again).
  await engine.importBusybox();
  expect((await engine.ok(['run', '--rm', 'busybox', 'echo', 'still here'])).trim()).toBe('still here');
});
