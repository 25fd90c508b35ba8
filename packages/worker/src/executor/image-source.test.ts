import { NotFoundError } from '@flotilla/engine-core';
import { TaskRejectedError } from '../agent/executor';
import { ensureImage } from './image-source';

const missing = () => Promise.reject(new NotFoundError('No such image: x'));
const signal = new AbortController().signal;

describe('ensureImage: local store, then peers, then the registry', () => {
  test('a local image asks nobody', async () => {
    const asked: string[] = [];
    await ensureImage(
      'web:1',
      {
        local: async () => undefined,
        peers: async () => asked.push('peers'),
        registry: async () => asked.push('registry'),
      },
      signal,
    );
    expect(asked).toEqual([]);
  });

  test('peers come before the registry; the registry is not asked when a peer had it', async () => {
    const asked: string[] = [];
    await ensureImage(
      'web:1',
      { local: missing, peers: async () => asked.push('peers'), registry: async () => asked.push('registry') },
      signal,
    );
    expect(asked).toEqual(['peers']);
  });

  test('no peer has it: the registry is asked', async () => {
    const asked: string[] = [];
    await ensureImage(
      'web:1',
      {
        local: missing,
        peers: async () => {
          asked.push('peers');
          throw new NotFoundError('none');
        },
        registry: async () => asked.push('registry'),
      },
      signal,
    );
    expect(asked).toEqual(['peers', 'registry']);
  });

  test('nothing has it: docker\'s "No such image", with the failures that are not "not found"', async () => {
    await expect(
      ensureImage('web:1', { local: missing, peers: () => Promise.reject(new NotFoundError('none')) }, signal),
    ).rejects.toEqual(new TaskRejectedError('No such image: web:1'));
    const err = await ensureImage(
      'web:1',
      {
        local: missing,
        peers: () => Promise.reject(new Error('layer 1/1 is corrupt')),
        registry: () => Promise.reject(new Error('manifest unknown')),
      },
      signal,
    ).catch((e: Error) => e);
    expect(err).toBeInstanceOf(TaskRejectedError);
    expect((err as Error).message).toBe(
      'No such image: web:1 (peer fetch failed: layer 1/1 is corrupt; pull failed: manifest unknown)',
    );
  });

  test('a store failure other than "not found" is not hidden behind a fetch', async () => {
    await expect(
      ensureImage(
        'web:1',
        { local: () => Promise.reject(new Error('disk on fire')), peers: async () => undefined },
        signal,
      ),
    ).rejects.toThrow('disk on fire');
  });
});
