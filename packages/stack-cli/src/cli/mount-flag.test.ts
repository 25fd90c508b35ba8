import { parseMountFlag } from './mount-flag';

test('--mount: bind, volume and tmpfs in docker CSV form', () => {
  expect(parseMountFlag('type=bind,source=/srv/data,target=/data,readonly')).toEqual({
    Type: 'bind',
    Source: '/srv/data',
    Target: '/data',
    ReadOnly: true,
  });
  expect(parseMountFlag('type=bind,src=/a,dst=/b,ro=false')).toEqual({ Type: 'bind', Source: '/a', Target: '/b' });
  expect(parseMountFlag('source=cache,target=/cache')).toEqual({ Type: 'volume', Source: 'cache', Target: '/cache' });
  expect(parseMountFlag('type=tmpfs,destination=/run,tmpfs-size=64m,tmpfs-mode=1770')).toEqual({
    Type: 'tmpfs',
    Target: '/run',
    TmpfsOptions: { SizeBytes: 64 * 1024 * 1024, Mode: 0o1770 },
  });
});

test('--mount: docker-style errors', () => {
  expect(() => parseMountFlag('type=bind,source=/a')).toThrow(
    'invalid argument "type=bind,source=/a" for "--mount" flag: target is required',
  );
  expect(() => parseMountFlag('type=bind,target=/a')).toThrow('source is required when specifying bind mount');
  expect(() => parseMountFlag('type=nfs,target=/a')).toThrow('invalid mount type: nfs');
  expect(() => parseMountFlag('target')).toThrow("invalid field 'target' must be a key=value pair");
  expect(() => parseMountFlag('target=/a,colour=blue')).toThrow("unexpected key 'colour'");
  expect(() => parseMountFlag('type=tmpfs,source=x,target=/a')).toThrow('source is not allowed for tmpfs mounts');
  expect(() => parseMountFlag('target=/a,readonly=maybe')).toThrow('invalid value for readonly: maybe');
});
