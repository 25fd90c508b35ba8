// The command tree without a daemon: usage, help, unknown commands and flags, exit codes.
import { runCli } from './__fixtures__/run-cli';

// A socket path that cannot exist: anything reaching the daemon fails to connect.
const cli = (args: string[]) => runCli(['-H', 'unix:///nonexistent/flotilla.sock', ...args]);

test('no command prints the usage', async () => {
  const r = await cli([]);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^Usage: {2}flotilla \[OPTIONS\] COMMAND/);
});

test('--help before the first argument is help; after it, it belongs to the container command', async () => {
  const r = await cli(['run', '--help']);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('Usage:  flotilla run [OPTIONS]');
  expect(r.stdout).toContain('Create and run a new container from an image');
  expect((await cli(['container', 'ls', '--help'])).stdout).toContain('Usage:  flotilla container ls [OPTIONS]');
  const passed = await cli(['run', 'busybox', 'echo', '--help']);
  expect(passed.code).toBe(1);
  expect(passed.stderr).toBe(
    'Cannot connect to the flotilla daemon at unix:///nonexistent/flotilla.sock. Is the flotilla daemon running?\n',
  );
});

test('unknown commands, unknown flags and missing arguments use docker texts and codes', async () => {
  expect(await cli(['frobnicate'])).toEqual({
    code: 1,
    stdout: '',
    stderr: "flotilla: 'frobnicate' is not a flotilla command.\nSee 'flotilla --help'\n",
  });
  expect(await cli(['ps', '--bogus'])).toEqual({
    code: 125,
    stdout: '',
    stderr: "unknown flag: --bogus\nSee 'flotilla ps --help'.\n",
  });
  expect(await cli(['stop'])).toEqual({
    code: 1,
    stdout: '',
    stderr: '"stop" requires at least 1 argument.\nSee \'flotilla stop --help\'.\n',
  });
  expect((await cli(['run', '-m', 'x', 'busybox'])).code).toBe(125);
  expect((await cli(['image', 'nope'])).stderr).toContain("flotilla image: 'nope' is not a flotilla command.");
});
