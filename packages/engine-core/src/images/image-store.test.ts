import {
  createReadStream,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importRootfs } from '../transfer/import';
import { ConflictError, NotFoundError } from '../errors';
import { makeBusyboxRootfsTar } from '../testing/busybox-rootfs';
import { ImageStore } from './image-store';
import { normalizeReference, familiarString, parseReference } from './reference';
import { item } from '../testing/item';

describe('reference normalisation', () => {
  it('normalises like docker and displays the familiar form', () => {
    expect(normalizeReference('busybox')).toBe('docker.io/library/busybox:latest');
    expect(normalizeReference('user/app:1')).toBe('docker.io/user/app:1');
    expect(normalizeReference('127.0.0.1:5000/app')).toBe('127.0.0.1:5000/app:latest');
    expect(normalizeReference('localhost/app:v2')).toBe('localhost/app:v2');
    expect(familiarString(parseReference('docker.io/library/busybox:latest'))).toBe('busybox:latest');
    expect(familiarString(parseReference('index.docker.io/user/app'))).toBe('user/app');
    expect(() => parseReference('Busybox')).toThrow(/invalid reference format/);
  });
});

describe('ImageStore', () => {
  let root: string;
  let fixture: { dir: string; tar: string };
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'flotilla-images-'));
    fixture = makeBusyboxRootfsTar(root);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('imports a rootfs tar as a one-layer image and resolves it by name, ID and short ID', async () => {
    const store = await ImageStore.open(join(root, 'store1'));
    const img = await importRootfs(store, createReadStream(fixture.tar), {
      tag: 'busybox',
      changes: ['CMD ["/bin/sh"]', 'ENV A=b'],
    });
    expect(img.id).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(img.repoTags).toEqual(['busybox:latest']);
    expect(img.config.Cmd).toEqual(['/bin/sh']);
    expect(img.config.Env).toEqual(['A=b']);
    expect(img.diffIds).toHaveLength(1);
    expect((await store.resolve('docker.io/library/busybox:latest')).id).toBe(img.id);
    expect((await store.resolve(img.id.slice(7, 19))).id).toBe(img.id);
    const dirs = await store.layerDirs(img);
    expect(lstatSync(join(item(dirs, 0), 'bin/busybox')).isFile()).toBe(true);
    expect(lstatSync(join(item(dirs, 0), 'bin/sh')).isSymbolicLink()).toBe(true);
    await expect(store.resolve('nope')).rejects.toThrow(NotFoundError);

    // reopened from disk after a crash: same answer, and half-done work is cleaned up
    mkdirSync(join(root, 'store1', 'tmp', 'copy-dead', 'x'), { recursive: true });
    mkdirSync(join(root, 'store1', 'layers', '.unpack-dead', 'diff'), { recursive: true });
    const again = await ImageStore.open(join(root, 'store1'));
    expect(readdirSync(join(root, 'store1', 'tmp'))).toEqual([]);
    expect(readdirSync(join(root, 'store1', 'layers'))).toEqual([item(img.diffIds, 0).slice(7)]);
    const summaries = await again.summaries();
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({ Id: img.id, RepoTags: ['busybox:latest'] });
    expect(summaries[0]?.Size).toBeGreaterThan(500_000);
    const inspect = await again.inspect('busybox');
    expect(inspect.RootFS.Layers).toEqual(img.diffIds);
    expect(inspect.Config.Cmd).toEqual(['/bin/sh']);
    const hist = await again.history('busybox');
    expect(hist[0]).toMatchObject({ Id: img.id, Tags: ['busybox:latest'], Comment: 'Imported from -' });
    // OCI layout files exist
    expect(JSON.parse(readFileSync(join(root, 'store1', 'oci-layout'), 'utf8'))).toEqual({
      imageLayoutVersion: '1.0.0',
    });
    const index = JSON.parse(readFileSync(join(root, 'store1', 'index.json'), 'utf8')) as {
      manifests: { annotations?: Record<string, string> }[];
    };
    expect(index.manifests[0]?.annotations?.['io.containerd.image.name']).toBe('docker.io/library/busybox:latest');
  });

  it('tags, untags and removes with docker conflict rules, then collects the layers', async () => {
    const store = await ImageStore.open(join(root, 'store2'));
    const img = await importRootfs(store, createReadStream(fixture.tar), { tag: 'one:1' });
    await store.tag('one:1', 'two');
    expect((await store.resolve(img.id)).repoTags).toEqual(['one:1', 'two:latest']);
    await expect(store.remove(img.id.slice(7, 19))).rejects.toThrow(
      `conflict: unable to delete ${img.id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`,
    );
    expect(await store.remove('two')).toEqual([{ Untagged: 'two:latest' }]);
    store.setUsageChecker((id) => (id === img.id ? [{ containerId: 'c'.repeat(64), running: true }] : []));
    await expect(store.remove(img.id)).rejects.toThrow(ConflictError);
    await expect(store.remove(img.id)).rejects.toThrow(`image is being used by running container ${'c'.repeat(12)}`);
    store.setUsageChecker(() => []);
    const layerDir = item(await store.layerDirs(img), 0);
    expect(await store.remove('one:1')).toEqual([{ Untagged: 'one:1' }, { Deleted: img.id }]);
    expect(existsSync(layerDir)).toBe(false);
    await expect(store.resolve(img.id)).rejects.toThrow(NotFoundError);

    // prune removes only untagged images unless asked for all
    const kept = await importRootfs(store, createReadStream(fixture.tar), { tag: 'kept' });
    const dangling = await importRootfs(store, createReadStream(fixture.tar), { changes: ['CMD ["x"]'] });
    expect((await store.summaries({ filters: { dangling: true } })).map((s) => s.Id)).toEqual([dangling.id]);
    const pruned = await store.prune();
    expect(pruned.ImagesDeleted).toEqual([{ Deleted: dangling.id }]);
    expect((await store.resolve('kept')).id).toBe(kept.id);
    expect(existsSync(join(item(await store.layerDirs(kept), 0), 'bin/busybox'))).toBe(true); // the shared layer survives
  });

  it('rejects a blob whose content does not match its digest', async () => {
    const store = await ImageStore.open(join(root, 'store3'));
    await expect(store.blobs.putBuffer(Buffer.from('hello'), `sha256:${'0'.repeat(64)}`)).rejects.toThrow(
      /digest mismatch/,
    );
  });
});
