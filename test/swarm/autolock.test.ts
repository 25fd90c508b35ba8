// Encryption at rest and autolock through the real CLI against a real daemon process: the Raft
// data of a manager holds no plaintext of what was written through the store; `swarm init
// --autolock` prints the unlock key; a restarted manager is locked (docker's 503 text, /info
// "locked"), refuses a wrong key, unlocks with the right one and serves again; after `swarm
// unlock-key --rotate` only the new key unlocks it; `swarm update --autolock=false` unwraps.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DaemonProcess } from '../engine/daemon-process';
import { TestEngine, eventually, freePort } from '../engine/harness';
import { filesHolding } from '../host-traces';

jest.setTimeout(120_000);

const MARKER = `flotilla-secret-marker-${process.pid}-7c1e`;
const LOCKED = 'Swarm is encrypted and needs to be unlocked before it can be used.';

describe('encryption at rest and autolock (single manager, daemon restarts)', () => {
  const e = new TestEngine('autolock');
  const daemon = new DaemonProcess(e);

  const startDaemon = () => daemon.start();
  const stopDaemon = (signal: NodeJS.Signals) => daemon.stop(signal);

  async function restart() {
    await stopDaemon('SIGKILL');
    await startDaemon();
  }

  const localState = async () => (await e.ok(['info', '--format', '{{.Swarm.LocalNodeState}}'])).trim();

  beforeAll(async () => {
    await startDaemon();
  });

  afterAll(async () => {
    await e.cli(['swarm', 'leave', '--force']).catch(() => undefined);
    await stopDaemon('SIGTERM');
    await e.cleanup();
  });

  test('locked after a restart until unlocked; rotation; autolock off', async () => {
    const port = await freePort();
    const init = await e.ok([
      'swarm',
      'init',
      '--autolock',
      '--advertise-addr',
      `127.0.0.1:${port}`,
      '--listen-addr',
      `127.0.0.1:${port}`,
    ]);
    expect(init).toContain('To unlock a swarm manager after it restarts, run the `flotilla swarm unlock`\n');
    expect(init).toContain('Please remember to store this key in a password manager, since without it you\n');
    const key = /\n {4}(SWMKEY-1-[A-Za-z0-9+/]{43})\n/.exec(init)?.[1];
    expect(key).toBeDefined();
    expect((await e.ok(['swarm', 'unlock-key', '-q'])).trim()).toBe(key);

    // Something secret through the store: it lands in the Raft log (and a snapshot, later).
    await e.ok(['service', 'create', '--name', 'enc', '--replicas', '0', '--label', `pw=${MARKER}`, 'busybox']);
    expect(await e.ok(['service', 'inspect', 'enc'])).toContain(MARKER);
    const swarmDir = join(e.dataRoot, 'swarm');
    expect(filesHolding(e.dataRoot, MARKER)).toEqual([]);
    // The unlock key is in the store too: not on disk in the clear either.
    expect(filesHolding(e.dataRoot, key!)).toEqual([]);
    // The TLS key and data key exist only wrapped.
    expect(existsSync(join(swarmDir, 'certs', 'node.key'))).toBe(false);
    expect(filesHolding(e.dataRoot, 'PRIVATE KEY')).toEqual([]);
    expect(JSON.parse(readFileSync(join(swarmDir, 'certs', 'keys.json'), 'utf8'))).toHaveProperty('locked');

    const notLocked = await e.cli(['swarm', 'unlock'], { input: `${key}\n` });
    expect(notLocked.code).toBe(1);
    expect(notLocked.stderr).toContain('swarm is not locked');

    await restart();
    expect(await localState()).toBe('locked');
    for (const cmd of [
      ['node', 'ls'],
      ['service', 'ls'],
      ['swarm', 'unlock-key'],
    ]) {
      const r = await e.cli(cmd);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(LOCKED);
    }
    const wrong = await e.cli(['swarm', 'unlock'], { input: 'SWMKEY-1-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('swarm could not be unlocked: invalid key provided');
    const garbage = await e.cli(['swarm', 'unlock'], { input: 'not a key\n' });
    expect(garbage.stderr).toContain('invalid key provided');
    expect(await localState()).toBe('locked');

    await e.ok(['swarm', 'unlock'], { input: `${key}\n` });
    expect(await localState()).toBe('active');
    await eventually(
      async () => (await e.cli(['service', 'inspect', 'enc'])).stdout.includes(MARKER),
      20_000,
      'the store',
    );

    // Rotation: the new key is printed and works after a restart; the old one no longer does.
    const rotated = await e.ok(['swarm', 'unlock-key', '--rotate']);
    expect(rotated).toMatch(/^Successfully rotated manager unlock key\.\n\nTo unlock a swarm manager/);
    const key2 = /\n {4}(SWMKEY-1-[A-Za-z0-9+/]{43})\n/.exec(rotated)?.[1];
    expect(key2).toBeDefined();
    expect(key2).not.toBe(key);
    await restart();
    expect(await localState()).toBe('locked');
    const old = await e.cli(['swarm', 'unlock'], { input: `${key}\n` });
    expect(old.stderr).toContain('invalid key provided');
    await e.ok(['swarm', 'unlock'], { input: `${key2}\n` });
    await eventually(
      async () => (await e.cli(['service', 'inspect', 'enc'])).stdout.includes(MARKER),
      20_000,
      'the store',
    );
    expect(filesHolding(e.dataRoot, MARKER)).toEqual([]);

    // Autolock off: the keys are unwrapped, a restart is not locked; the data stays encrypted.
    expect(await e.ok(['swarm', 'update', '--autolock=false'])).toBe('Swarm updated.\n');
    const noKey = await e.cli(['swarm', 'unlock-key']);
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toContain('no unlock key is set');
    const cannot = await e.cli(['swarm', 'unlock-key', '--rotate']);
    expect(cannot.stderr).toContain('cannot rotate because autolock is not turned on');
    expect(existsSync(join(swarmDir, 'certs', 'node.key'))).toBe(true);
    await restart();
    expect(await localState()).toBe('active');
    await eventually(
      async () => (await e.cli(['service', 'inspect', 'enc'])).stdout.includes(MARKER),
      20_000,
      'the store',
    );
    expect(filesHolding(join(swarmDir, 'raft'), MARKER)).toEqual([]);

    // And on again through update: the paragraph with the new key.
    const on = await e.ok(['swarm', 'update', '--autolock=true']);
    expect(on).toMatch(/^Swarm updated\.\nTo unlock a swarm manager after it restarts/);
    expect(existsSync(join(swarmDir, 'certs', 'node.key'))).toBe(false);
  });
});
