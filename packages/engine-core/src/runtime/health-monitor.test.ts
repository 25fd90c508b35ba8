// Real containers under runc (root required): Docker healthchecks run in the container, drive
// State.Health, `ps` status and health_status events, and stop with the container.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataPaths, type DataPaths } from '../paths';
import { makeBusyboxRootfs } from '../testing/busybox-rootfs';
import { VolumeStore } from '../volumes/volume-store';
import { busyboxImages } from './__fixtures__/busybox-images';
import { cleanupDaemonCgroups } from './cgroups';
import { ContainerManager, type ContainerEvent } from './container-manager';
import type { HealthState } from './container-types';

jest.setTimeout(30_000);

const MS = 1e6;
let base: string;
let paths: DataPaths;
let m: ContainerManager;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'flotilla-health-'));
  const rootfs = makeBusyboxRootfs(join(base, 'busybox'));
  writeFileSync(join(base, 'resolv.conf'), 'nameserver 198.18.0.1\n');
  paths = dataPaths(join(base, 'data'), join(base, 'run'));
  const volumes = new VolumeStore(paths.volumes);
  await volumes.init();
  // The image's own HEALTHCHECK, which create requests override or disable.
  const images = busyboxImages(rootfs, {
    Volumes: undefined,
    Healthcheck: { Test: ['CMD', 'false'], Interval: 100 * MS },
  });
  m = new ContainerManager({ paths, images, volumes, resolvConfPath: join(base, 'resolv.conf') });
  await m.init();
});

afterAll(async () => {
  for (const c of m.list({ all: true })) await m.remove(c.Id, { force: true });
  await m.shutdown();
  await cleanupDaemonCgroups(paths);
  rmSync(base, { recursive: true, force: true });
});

async function until(
  id: string,
  pred: (h: HealthState | undefined) => boolean,
  what: string,
): Promise<HealthState | undefined> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const h = m.inspect(id).State.Health;
    if (pred(h)) return h;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; health: ${JSON.stringify(h)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('container healthchecks (real runc)', () => {
  it('starting -> healthy -> unhealthy with CMD-SHELL, shown by inspect, ps and events; stops with the container', async () => {
    const events: string[] = [];
    const onEvent = (ev: ContainerEvent) => {
      if (ev.Action.startsWith('health_status')) events.push(ev.Action);
    };
    m.events.on('event', onEvent);
    try {
      const { Id } = await m.create({
        Image: 'busybox',
        Cmd: ['sh', '-c', 'trap "exit 0" TERM; while :; do sleep 0.1; done'],
        Healthcheck: {
          Test: ['CMD-SHELL', 'echo probe; test -f /tmp/ok'],
          Interval: 200 * MS,
          Timeout: 5000 * MS,
          Retries: 3,
          StartPeriod: 60_000 * MS,
        },
        HostConfig: { NetworkMode: 'none' },
      });
      await m.start(Id);
      expect(m.inspect(Id).State.Health).toEqual({ Status: 'starting', FailingStreak: 0, Log: [] });
      // In the start period failures do not count: it stays starting.
      const early = await until(Id, (h) => !!h && h.Log.length >= 2, 'two probes');
      expect(early).toMatchObject({ Status: 'starting', FailingStreak: 0 });
      expect(early?.Log[0]).toMatchObject({ ExitCode: 1, Output: 'probe\n' });
      expect(m.list().find((c) => c.Id === Id)?.Status).toMatch(/^Up .* \(health: starting\)$/);

      const ex = m.execCreate(Id, { Cmd: ['touch', '/tmp/ok'] });
      expect(await (await m.execStart(ex.Id)).exitCode).toBe(0);
      const healthy = await until(Id, (h) => h?.Status === 'healthy', 'healthy');
      expect(healthy?.FailingStreak).toBe(0);
      const last = healthy?.Log[healthy.Log.length - 1];
      expect(last).toMatchObject({ ExitCode: 0, Output: 'probe\n' });
      expect(Date.parse(last?.End ?? '')).toBeGreaterThanOrEqual(Date.parse(last?.Start ?? ''));
      expect(m.list().find((c) => c.Id === Id)?.Status).toMatch(/^Up .* \(healthy\)$/);
      // Probes are not listed as the container's execs.
      expect(m.inspect(Id).ExecIDs).toEqual([ex.Id]);

      const rm = m.execCreate(Id, { Cmd: ['rm', '/tmp/ok'] });
      expect(await (await m.execStart(rm.Id)).exitCode).toBe(0);
      const sick = await until(Id, (h) => h?.Status === 'unhealthy', 'unhealthy');
      expect(sick?.FailingStreak).toBe(3);
      expect(sick?.Log.length).toBeLessThanOrEqual(5);
      expect(sick?.Log.at(-1)?.ExitCode).toBe(1);
      expect(m.list().find((c) => c.Id === Id)?.Status).toMatch(/^Up .* \(unhealthy\)$/);
      expect(events).toEqual(['health_status: healthy', 'health_status: unhealthy']);

      await m.stop(Id, { timeout: 5 });
      const after = JSON.stringify(m.inspect(Id).State.Health);
      await new Promise((r) => setTimeout(r, 700));
      expect(JSON.stringify(m.inspect(Id).State.Health)).toBe(after);
      expect(m.list({ all: true }).find((c) => c.Id === Id)?.Status).toMatch(/^Exited \(0\)/);
    } finally {
      m.events.off('event', onEvent);
    }
  });

  it('uses the image HEALTHCHECK, and Test NONE disables it', async () => {
    const withImage = await m.create({ Image: 'busybox', Cmd: ['sleep', '30'], HostConfig: { NetworkMode: 'none' } });
    const disabled = await m.create({
      Image: 'busybox',
      Cmd: ['sleep', '30'],
      Healthcheck: { Test: ['NONE'] },
      HostConfig: { NetworkMode: 'none' },
    });
    await m.start(withImage.Id);
    await m.start(disabled.Id);
    // The image's `CMD false` every 100 ms with the default 3 retries.
    await until(withImage.Id, (h) => h?.Status === 'unhealthy', 'unhealthy from the image healthcheck');
    expect(m.inspect(disabled.Id).State.Health).toBeUndefined();
    expect(m.list().find((c) => c.Id === disabled.Id)?.Status).toMatch(/^Up [^(]*$/);
    await m.remove(withImage.Id, { force: true });
    await m.remove(disabled.Id, { force: true });
  });
});
