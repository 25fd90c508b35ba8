import { Readable, Transform } from 'node:stream';
import { finished } from 'node:stream/promises';
import { CommandError, MissingDependencyError } from '../errors';
import { runCommand, runTool } from './command';

describe('runCommand', () => {
  it('feeds a string to stdin and resolves with stdout as text', async () => {
    await expect(runCommand('cat', [], { input: 'hello\n' })).resolves.toBe('hello\n');
  });

  it('rejects a non-zero exit with CommandError naming the whole command line and its stderr', async () => {
    const err = await runCommand('sh', ['-c', 'echo oops >&2; exit 3']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect((err as CommandError).message).toBe('sh -c echo oops >&2; exit 3 failed (exit 3): oops');
    expect((err as CommandError).stderr).toBe('oops\n');
    expect((err as CommandError).code).toBe(3);
  });

  it('says "no error output" when the command printed nothing', async () => {
    await expect(runCommand('false', [])).rejects.toThrow('false failed (exit 1): no error output');
  });

  it('names the apt package of a missing binary', async () => {
    await expect(runCommand('flotilla-no-such-binary', [])).rejects.toEqual(
      new MissingDependencyError('flotilla-no-such-binary', 'flotilla-no-such-binary'),
    );
    await expect(runTool('flotilla-no-such-binary', [], { aptPackage: 'pkg' })).rejects.toThrow(
      'flotilla-no-such-binary not found: apt-get install pkg',
    );
  });
});

describe('runTool', () => {
  it('resolves with stdout as bytes and names only the first three arguments on failure', async () => {
    const { stdout } = await runTool('cat', [], { input: Buffer.from([0, 1, 2]) });
    expect([...stdout]).toEqual([0, 1, 2]);
    await expect(runTool('sh', ['-c', 'echo bad >&2; exit 2', 'arg0', '/tmp/secret'])).rejects.toThrow(
      'sh -c echo bad >&2; exit 2 arg0 failed (exit 2): bad',
    );
  });

  it('drains a stream input the command stopped reading, so upstream sees every byte', async () => {
    const chunks = Array.from({ length: 64 }, (_, i) => Buffer.alloc(64 * 1024, i));
    let seen = 0;
    const tee = new Transform({
      transform(c: Buffer, _e, cb) {
        seen += c.length;
        cb(null, c);
      },
    });
    Readable.from(chunks).pipe(tee);
    // `true` exits without reading a byte: without the drain, `tee` would never finish
    await Promise.all([runTool('true', [], { input: tee }), finished(tee)]);
    expect(seen).toBe(64 * 64 * 1024);
  });
});
