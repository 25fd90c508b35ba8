// `service create/update --endpoint-mode` against a fake API: the mode goes into EndpointSpec
// beside the published ports, an update keeps the ports, and an unknown mode is refused before
// anything is sent.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../__fixtures__/run-cli';

let dir: string;
let server: Server;
let env: NodeJS.ProcessEnv;
const posted: { path: string; body: { EndpointSpec?: { Mode?: string; Ports?: { PublishedPort: number }[] } } }[] = [];
const existing = {
  ID: 'svc1',
  Version: { Index: 7 },
  Spec: {
    Name: 'web',
    TaskTemplate: { ContainerSpec: { Image: 'web:1' } },
    Mode: { Replicated: { Replicas: 2 } },
    EndpointSpec: { Mode: 'vip', Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 4000 }] },
  },
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flotilla-cli-service-'));
  env = { FLOTILLA_HOST: `unix://${join(dir, 'api.sock')}` };
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '', 'http://x');
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      res.setHeader('Content-Type', 'application/json');
      if (req.method === 'GET' && url.pathname === '/v1.41/services/web') return res.end(JSON.stringify(existing));
      if (req.method === 'POST') {
        posted.push({ path: url.pathname, body: JSON.parse(body) as (typeof posted)[number]['body'] });
        return res.writeHead(url.pathname.endsWith('/create') ? 201 : 200).end(JSON.stringify({ ID: 'svc2' }));
      }
      res.writeHead(404).end(JSON.stringify({ message: `no such path ${url.pathname}` }));
    });
  });
  await new Promise<void>((r) => server.listen(join(dir, 'api.sock'), r));
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => (posted.length = 0));

test('service create --endpoint-mode dnsrr sends the mode with the ports', async () => {
  const r = await runCli(
    [
      'service',
      'create',
      '-d',
      '--name',
      'db',
      '--endpoint-mode',
      'dnsrr',
      '-p',
      'mode=host,target=5432,published=5432',
      'postgres',
    ],
    { env },
  );
  expect(r).toMatchObject({ code: 0, stdout: 'svc2\n' });
  expect(posted).toHaveLength(1);
  expect(posted[0]!.path).toBe('/v1.41/services/create');
  expect(posted[0]!.body.EndpointSpec).toMatchObject({
    Mode: 'dnsrr',
    Ports: [{ PublishedPort: 5432, TargetPort: 5432 }],
  });
});

test('service update --endpoint-mode changes the mode and keeps the published ports', async () => {
  const r = await runCli(['service', 'update', '-d', '--endpoint-mode', 'dnsrr', 'web'], { env });
  expect(r.code).toBe(0);
  expect(posted.map((p) => p.path)).toEqual(['/v1.41/services/svc1/update']);
  expect(posted[0]!.body.EndpointSpec).toEqual({ Mode: 'dnsrr', Ports: existing.Spec.EndpointSpec.Ports });
});

test('an unknown endpoint mode is refused with what to use, and nothing is sent', async () => {
  const r = await runCli(['service', 'create', '-d', '--endpoint-mode', 'round-robin', 'web:1'], { env });
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain('invalid endpoint mode "round-robin": use vip or dnsrr');
  expect(posted).toEqual([]);
});
