import { buildOciSpec, capabilitySet, DEFAULT_CAPABILITIES, MASKED_PATHS, mergeEnv, type SpecInput } from './oci-spec';

const base: SpecInput = {
  args: ['sh'],
  env: ['PATH=/bin'],
  cwd: '/',
  uid: 0,
  gid: 0,
  hostname: 'abcdef012345',
  layerDirs: ['/l/0', '/l/1'],
  upperDir: '/c/upper',
  workDir: '/c/work',
  rootPath: '/c/rootfs',
  network: { mode: 'none' },
  cgroupsPath: '/flotilla-abc123/abcdef',
};

describe('buildOciSpec', () => {
  it('mounts the overlay root first with the top layer first in lowerdir', () => {
    const s = buildOciSpec(base);
    expect(s.mounts[0]).toEqual({
      destination: '/',
      type: 'overlay',
      source: 'overlay',
      options: ['lowerdir=/l/1:/l/0', 'upperdir=/c/upper', 'workdir=/c/work'],
    });
    expect(s.mounts.map((m) => m.destination)).toEqual(
      expect.arrayContaining(['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup']),
    );
    expect(s.mounts.find((m) => m.destination === '/sys')?.options).toContain('ro');
    expect(s.mounts.find((m) => m.destination === '/sys/fs/cgroup')?.options).toContain('ro');
  });

  it("uses Docker's 14 default capabilities, masked and read-only paths", () => {
    const s = buildOciSpec(base);
    expect(DEFAULT_CAPABILITIES).toHaveLength(14);
    expect(s.process.capabilities.bounding).toEqual(DEFAULT_CAPABILITIES);
    expect(s.process.capabilities.effective).not.toContain('CAP_SYS_ADMIN');
    expect(s.linux.maskedPaths).toContain('/proc/kcore');
    expect(s.linux.readonlyPaths).toContain('/proc/sys');
    expect(s.linux.resources.devices[0]).toEqual({ allow: false, access: 'rwm' });
  });

  it('picks network namespaces by mode', () => {
    const types = (s: ReturnType<typeof buildOciSpec>) => s.linux.namespaces.map((n) => n.type).sort();
    expect(types(buildOciSpec(base))).toEqual(['ipc', 'mount', 'network', 'pid', 'uts']);
    expect(buildOciSpec(base).linux.namespaces.find((n) => n.type === 'network')?.path).toBeUndefined();
    expect(types(buildOciSpec({ ...base, network: { mode: 'host' } }))).toEqual(['ipc', 'mount', 'pid', 'uts']);
    expect(buildOciSpec({ ...base, network: { mode: 'path', path: '/run/netns/x' } }).linux.namespaces).toContainEqual({
      type: 'network',
      path: '/run/netns/x',
    });
  });

  it('translates --cpus, --memory and --pids-limit into cgroup resources', () => {
    const s = buildOciSpec({ ...base, nanoCpus: 0.1e9, memoryBytes: 50 << 20, pidsLimit: 42 });
    expect(s.linux.resources.cpu).toEqual({ period: 100000, quota: 10000 });
    expect(s.linux.resources.memory).toEqual({ limit: 50 << 20, swap: 100 << 20 });
    expect(s.linux.resources.pids).toEqual({ limit: 42 });
    expect(buildOciSpec({ ...base, memoryBytes: 50 << 20, memorySwapBytes: -1 }).linux.resources.memory?.swap).toBe(-1);
    expect(buildOciSpec(base).linux.resources.memory).toBeUndefined();
  });

  it('adds bind mounts read-only or read-write', () => {
    const s = buildOciSpec({
      ...base,
      binds: [
        { source: '/h', destination: '/c', readonly: true },
        { source: '/v', destination: '/d', readonly: false },
      ],
    });
    expect(s.mounts).toContainEqual({
      destination: '/c',
      type: 'bind',
      source: '/h',
      options: ['rbind', 'rprivate', 'ro'],
    });
    expect(s.mounts).toContainEqual({
      destination: '/d',
      type: 'bind',
      source: '/v',
      options: ['rbind', 'rprivate', 'rw'],
    });
  });
});

describe('mergeEnv', () => {
  it('lets later values override and adds a default PATH', () => {
    expect(mergeEnv(['A=1', 'B=2'], ['B=3', 'C=4'])).toEqual([
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'A=1',
      'B=3',
      'C=4',
    ]);
    expect(mergeEnv(['PATH=/x', 'A=1'])).toEqual(['PATH=/x', 'A=1']);
  });
});

describe('capabilities and privileged', () => {
  it('applies --cap-add and --cap-drop in docker spelling', () => {
    expect(capabilitySet(['NET_ADMIN'], ['chown'])).toEqual([
      ...DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_CHOWN'),
      'CAP_NET_ADMIN',
    ]);
    expect(capabilitySet(['CAP_KILL'], ['ALL'])).toEqual(['CAP_KILL']);
    expect(capabilitySet(['ALL'])).toContain('CAP_SYS_ADMIN');
    expect(() => capabilitySet(['BOGUS'])).toThrow('unknown capability: "BOGUS"');
  });
  it('privileged: all caps, nothing masked, /sys writable, all devices', () => {
    const s = buildOciSpec({ ...base, privileged: true });
    expect(s.process.capabilities.bounding).toContain('CAP_SYS_ADMIN');
    expect(s.linux.maskedPaths).toEqual([]);
    expect(s.linux.readonlyPaths).toEqual([]);
    expect(s.mounts.find((m) => m.destination === '/sys')?.options).not.toContain('ro');
    expect(s.linux.resources.devices).toEqual([{ allow: true, access: 'rwm' }]);
    expect(buildOciSpec(base).linux.maskedPaths).toEqual(MASKED_PATHS);
    expect(buildOciSpec({ ...base, readonlyRootfs: true }).root.readonly).toBe(true);
  });
});
