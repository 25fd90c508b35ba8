// The files the CLI sends as the build context: .dockerignore applied (with a `!` exception below
// an ignored directory), the Dockerfile and .dockerignore always sent.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contextFiles } from './context';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'flotilla-context-'));
  for (const f of [
    'Dockerfile',
    'app.js',
    'secret.key',
    'build/out.js',
    'build/keep.txt',
    'node_modules/x/index.js',
    'src/a.log',
    'src/index.ts',
  ]) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), f);
  }
  writeFileSync(
    join(dir, '.dockerignore'),
    '*.key\nnode_modules\n**/*.log\nbuild/\n!build/keep.txt\nDockerfile\n.dockerignore\n',
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('sends what .dockerignore keeps, re-included files below ignored directories, and always the Dockerfile and .dockerignore', () => {
  expect(contextFiles(dir, 'Dockerfile')).toEqual([
    '.dockerignore',
    'Dockerfile',
    'app.js',
    'build/keep.txt',
    'src',
    'src/index.ts',
  ]);
});
