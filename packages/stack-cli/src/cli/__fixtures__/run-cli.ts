// For the CLI's unit tests: `main` with in-memory stdout and stderr, and stdin from a string (or none).
import { PassThrough, Readable } from 'node:stream';
import { main } from '../main';

export async function runCli(args: string[], o: { env?: NodeJS.ProcessEnv; cwd?: string; stdin?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await main(args, { stdout, stderr, stdin: Readable.from(o.stdin === undefined ? [] : [Buffer.from(o.stdin)]), env: o.env ?? {}, cwd: o.cwd ?? '/' });
  return { code, stdout: out, stderr: err };
}
