// `node update` / `promote` against a daemon whose node object keeps changing with its status:
// an "update out of sequence" is answered by reading the node again and reapplying the change.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../__fixtures__/run-cli';

let dir: string;
let server: Server;
let host: string;
let version = 10;
let conflictsLeft = 0;
const updates: { version: number; body: { Role: string; Availability: string } }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flotilla-cli-node-'));
  host = `unix://${join(dir, 'api.sock')}`;
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '', 'http://x');
    if (req.method === 'GET' && url.pathname === '/v1.41/nodes/n1') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          ID: 'n1',
          Version: { Index: version },
          Spec: { Role: 'worker', Availability: 'active', Labels: {} },
          Description: { Hostname: 'n1' },
          Status: { State: 'ready' },
        }),
      );
      return;
    }
    if (req.method === 'POST' && url.pathname === '/v1.41/nodes/n1/update') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const v = Number(url.searchParams.get('version'));
        updates.push({ version: v, body: JSON.parse(body) as { Role: string; Availability: string } });
        // The node's status moved on meanwhile (a heartbeat, its reachability): its version with it.
        if (conflictsLeft > 0) {
          conflictsLeft--;
          version++;
          res.writeHead(400, { 'Content-Type': 'application/json' });
          res.end(
            JSON.stringify({
              message: `update out of sequence: node n1 is at version ${version}, not ${v}; inspect it again and retry`,
            }),
          );
          return;
        }
        res.writeHead(200).end();
      });
      return;
    }
    res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ message: 'not found' }));
  });
  await new Promise<void>((done) => server.listen(join(dir, 'api.sock'), done));
});

afterAll(async () => {
  await new Promise((done) => server.close(done));
  rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string[]) => runCli(args, { env: { FLOTILLA_HOST: host }, cwd: dir });

beforeEach(() => {
  updates.length = 0;
});

test('a promote that loses the race to a status change is reapplied on the node as it is now', async () => {
  conflictsLeft = 2;
  const r = await cli(['node', 'promote', 'n1']);
  expect(r).toEqual({ code: 0, stdout: 'Node n1 promoted to a manager in the swarm.\n', stderr: '' });
  expect(updates.map((u) => u.version)).toEqual([version - 2, version - 1, version]);
  expect(updates.every((u) => u.body.Role === 'manager')).toBe(true);
});

test("node update keeps its flags across retries, and gives up with the daemon's text after 5 tries", async () => {
  conflictsLeft = 1;
  expect((await cli(['node', 'update', '--availability', 'drain', 'n1'])).code).toBe(0);
  expect(updates.map((u) => u.body.Availability)).toEqual(['drain', 'drain']);
  updates.length = 0;
  conflictsLeft = 100;
  const r = await cli(['node', 'update', '--availability', 'pause', 'n1']);
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^Error response from daemon: update out of sequence: node n1 is at version \d+/);
  expect(updates).toHaveLength(5);
  conflictsLeft = 0;
});
