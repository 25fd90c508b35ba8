// `--format` through the CLI against a stub daemon: table prefix, templates, and a malformed
// template answered with docker's error text and exit code 1.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../__fixtures__/run-cli';

let dir: string;
let server: Server;
let host: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flotilla-cli-format-'));
  host = `unix://${join(dir, 'api.sock')}`;
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '', 'http://x');
    res.writeHead(200, { 'Content-Type': 'application/json' });
    if (url.pathname === '/v1.41/volumes')
      res.end(
        JSON.stringify({
          Volumes: [
            { Name: 'data', Driver: 'local', Mountpoint: '/var/lib/flotilla/volumes/data', Scope: 'local' },
            { Name: 'a-much-longer-volume', Driver: 'local', Mountpoint: '/m', Scope: 'local' },
          ],
        }),
      );
    else res.end('{}');
  });
  await new Promise<void>((done) => server.listen(join(dir, 'api.sock'), done));
});

afterAll(async () => {
  await new Promise((done) => server.close(done));
  rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string[]) => runCli(args, { env: { FLOTILLA_HOST: host }, cwd: dir });

test('volume ls --format "table ...": docker header names and aligned columns', async () => {
  const r = await cli(['volume', 'ls', '--format', 'table {{.Name}}\\t{{.Driver | upper}}']);
  expect(r).toEqual({
    code: 0,
    stdout: 'VOLUME NAME            DRIVER\na-much-longer-volume   LOCAL\ndata                   LOCAL\n',
    stderr: '',
  });
});

test('volume ls --format with range, if and printf', async () => {
  const r = await cli(['volume', 'ls', '--format', '{{if eq .Name "data"}}{{printf "%-6s|" .Name}}{{else}}-{{end}}']);
  expect(r).toEqual({ code: 0, stdout: '-\ndata  |\n', stderr: '' });
});

test('a malformed template: docker error text on stderr, exit code 1', async () => {
  const r = await cli(['volume', 'ls', '--format', '{{.Name}']);
  expect(r).toEqual({
    code: 1,
    stdout: '',
    stderr: 'template parsing error: template: :1: unexpected "}" in operand\n',
  });
  const e = await cli(['volume', 'ls', '--format', '{{.Name.X}}']);
  expect(e.code).toBe(1);
  expect(e.stderr).toBe(
    'template parsing error: template: :1:2: executing "" at <.Name.X>: can\'t evaluate field X in type string\n',
  );
});
