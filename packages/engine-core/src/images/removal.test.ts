import { ConflictError } from '../errors';
import { planRemoval, type RemovalInput } from './removal';

const id = `sha256:${'a'.repeat(64)}`;
const tag = (n: string) => `docker.io/library/${n}:latest`;
const stopped = { containerId: 'c'.repeat(64), running: false };
const running = { containerId: 'd'.repeat(64), running: true };
const base: RemovalInput = { ref: 'app', id, tags: [tag('app')], users: [], force: false };

describe('docker rmi rules', () => {
  it('untags only the named tag when the image has others', () => {
    expect(planRemoval({ ...base, byName: tag('app'), tags: [tag('app'), tag('b')] })).toEqual({
      kind: 'untag',
      tag: tag('app'),
    });
  });

  it('removes an image by its last name, or by ID, when no container uses it', () => {
    const all = { kind: 'remove', tags: [tag('app')], keepImage: false };
    expect(planRemoval({ ...base, byName: tag('app') })).toEqual(all);
    expect(planRemoval({ ...base, ref: 'aaaa' })).toEqual(all);
  });

  it('refuses the last name of an image a container uses unless forced, then keeps the image', () => {
    expect(() => planRemoval({ ...base, byName: tag('app'), users: [stopped] })).toThrow(
      'conflict: unable to remove repository reference "app" (must force) - container cccccccccccc is using its referenced image aaaaaaaaaaaa',
    );
    expect(planRemoval({ ...base, byName: tag('app'), users: [stopped], force: true })).toEqual({
      kind: 'remove',
      tags: [tag('app')],
      keepImage: true,
    });
  });

  it('by ID: never deletes an image a running container uses, even forced', () => {
    expect(() => planRemoval({ ...base, ref: 'aaaa', users: [running], force: true })).toThrow(ConflictError);
    expect(() => planRemoval({ ...base, ref: 'aaaa', users: [running], force: true })).toThrow(
      /cannot be forced\) - image is being used by running container dddddddddddd/,
    );
  });

  it('by ID: an image with several names or a stopped user needs force', () => {
    expect(() => planRemoval({ ...base, ref: 'aaaa', tags: [tag('a'), tag('b')] })).toThrow(
      /must be forced\) - image is referenced in multiple repositories/,
    );
    expect(() => planRemoval({ ...base, ref: 'aaaa', users: [stopped] })).toThrow(
      /must be forced\) - image is being used by stopped container cccccccccccc/,
    );
    expect(planRemoval({ ...base, ref: 'aaaa', tags: [tag('a'), tag('b')], force: true })).toEqual({
      kind: 'remove',
      tags: [tag('a'), tag('b')],
      keepImage: false,
    });
  });
});
