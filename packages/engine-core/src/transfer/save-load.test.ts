import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  createReadStream,
  createWriteStream,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { ImageStore } from '../images/image-store';
import { makeBusyboxRootfsTar } from '../testing/busybox-rootfs';
import { importRootfs } from './import';
import { loadImages } from './load';
import { saveImages } from './save';
import { TarWriter, type TarEntry } from '../archive/tar-writer';
import { item } from '../testing/item';

type Item = TarEntry & { data?: Buffer };

async function tarOf(items: Item[]): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const tw = new TarWriter(out);
  for (const { data, ...e } of items) await tw.add(e, data ? { data } : undefined);
  await tw.finish();
  return Buffer.concat(chunks);
}

const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const file = (name: string, text: string): Item => ({ name, type: 'file', mode: 0o644, data: Buffer.from(text) });
const dir = (name: string): Item => ({ name, type: 'dir', mode: 0o755 });

/** Two layers; the second deletes etc/a.txt with a whiteout, as `docker save` would ship it. */
async function twoLayerImage(): Promise<{ layers: Buffer[]; config: Buffer }> {
  const l1 = await tarOf([dir('etc'), file('etc/a.txt', 'a'), file('etc/b.txt', 'b')]);
  const l2 = await tarOf([dir('etc'), file('etc/.wh.a.txt', ''), file('etc/c.txt', 'c')]);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: '2024-01-01T00:00:00Z',
      config: { Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: [`sha256:${hex(l1)}`, `sha256:${hex(l2)}`] },
      history: [{ created_by: 'one' }, { created_by: 'two' }],
    }),
  );
  return { layers: [l1, l2], config };
}

describe('save and load', () => {
  let root: string;
  const mounts: string[] = [];
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'flotilla-saveload-'));
  });
  afterAll(() => {
    for (const m of mounts) execFileSync('umount', [m]);
    rmSync(root, { recursive: true, force: true });
  });

  it('loads a hand-made docker save archive and honours the whiteout of the second layer', async () => {
    const { layers, config } = await twoLayerImage();
    const archive = await tarOf([
      file(`${hex(config)}.json`, config.toString()),
      dir('l1'),
      { ...file('l1/layer.tar', ''), data: layers[0] },
      dir('l2'),
      { ...file('l2/layer.tar', ''), data: layers[1] },
      file(
        'manifest.json',
        JSON.stringify([
          {
            Config: `${hex(config)}.json`,
            RepoTags: ['example.com/team/app:1.0'],
            Layers: ['l1/layer.tar', 'l2/layer.tar'],
          },
        ]),
      ),
      file('repositories', JSON.stringify({ 'example.com/team/app': { '1.0': 'l2' } })),
    ]);
    const store = await ImageStore.open(join(root, 'hand'));
    const res = await loadImages(store, Readable.from([archive]));
    expect(res.messages).toEqual(['Loaded image: example.com/team/app:1.0']);
    const img = await store.resolve('example.com/team/app:1.0');
    expect(img.id).toBe(`sha256:${hex(config)}`);
    const dirs = await store.layerDirs(img);
    const m = join(root, 'm');
    const up = join(root, 'up');
    const wk = join(root, 'wk');
    for (const d of [m, up, wk]) mkdirSync(d);
    execFileSync('mount', [
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=${[...dirs].reverse().join(':')},upperdir=${up},workdir=${wk}`,
      m,
    ]);
    mounts.push(m);
    expect(readdirSync(join(m, 'etc')).sort()).toEqual(['b.txt', 'c.txt']);
  });

  it('loads the OCI layout archives that docker 25+ writes', async () => {
    const { layers, config } = await twoLayerImage();
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: `sha256:${hex(config)}`,
          size: config.length,
        },
        layers: layers.map((l) => ({
          mediaType: 'application/vnd.oci.image.layer.v1.tar',
          digest: `sha256:${hex(l)}`,
          size: l.length,
        })),
      }),
    );
    const index = {
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: `sha256:${hex(manifest)}`,
          size: manifest.length,
          annotations: {
            'io.containerd.image.name': 'docker.io/library/oci:latest',
            'org.opencontainers.image.ref.name': 'latest',
          },
        },
      ],
    };
    const blob = (b: Buffer): Item => ({ ...file(`blobs/sha256/${hex(b)}`, ''), data: b });
    const archive = await tarOf([
      dir('blobs'),
      dir('blobs/sha256'),
      blob(config),
      blob(manifest),
      blob(item(layers, 0)),
      blob(item(layers, 1)),
      file('oci-layout', '{"imageLayoutVersion":"1.0.0"}'),
      file('index.json', JSON.stringify(index)),
    ]);
    const store = await ImageStore.open(join(root, 'oci'));
    const res = await loadImages(store, Readable.from([archive]));
    expect(res.messages).toEqual(['Loaded image: oci:latest']);
    const dirs = await store.layerDirs(await store.resolve('oci'));
    const wh = lstatSync(join(item(dirs, 1), 'etc/a.txt'));
    expect(wh.isCharacterDevice() && wh.rdev === 0).toBe(true);
  });

  it('round-trips save -> load into a fresh store with the same ID, tags and files', async () => {
    const src = await ImageStore.open(join(root, 'src'));
    const { tar } = makeBusyboxRootfsTar(root);
    const base = await importRootfs(src, createReadStream(tar), { tag: 'bb:base' });
    // a second image on top, loaded from a two-layer archive, shares nothing; save both at once
    const { layers, config } = await twoLayerImage();
    const archive = await tarOf([
      file(`${hex(config)}.json`, config.toString()),
      { ...file('x/layer.tar', ''), data: layers[0] },
      { ...file('y/layer.tar', ''), data: layers[1] },
      file(
        'manifest.json',
        JSON.stringify([
          { Config: `${hex(config)}.json`, RepoTags: ['two:latest'], Layers: ['x/layer.tar', 'y/layer.tar'] },
        ]),
      ),
    ]);
    await loadImages(src, Readable.from([archive]));
    const out = join(root, 'saved.tar');
    const ws = createWriteStream(out);
    const closed = new Promise<void>((r) => ws.on('close', () => r()));
    await saveImages(src, ['bb:base', 'two'], ws);
    await closed;
    const listing = execFileSync('tar', ['-tf', out], { encoding: 'utf8' }).split('\n');
    expect(listing).toEqual(expect.arrayContaining(['manifest.json', 'repositories', `${base.id.slice(7)}.json`]));
    const saved = JSON.parse(execFileSync('tar', ['-xOf', out, 'manifest.json'], { encoding: 'utf8' })) as {
      RepoTags: string[];
      Layers: string[];
    }[];
    expect(saved.map((s) => s.RepoTags)).toEqual([['bb:base'], ['two:latest']]);
    expect(saved[1]?.Layers).toHaveLength(2);

    const dst = await ImageStore.open(join(root, 'dst'));
    const res = await loadImages(dst, createReadStream(out));
    expect(res.messages).toEqual(['Loaded image: bb:base', 'Loaded image: two:latest']);
    const back = await dst.resolve('bb:base');
    expect(back.id).toBe(base.id);
    expect(back.diffIds).toEqual(base.diffIds);
    const dirs = await dst.layerDirs(back);
    expect(readFileSync(join(item(dirs, 0), 'bin/busybox')).equals(readFileSync('/usr/bin/busybox'))).toBe(true);
    expect((await dst.resolve('two')).id).toBe(`sha256:${hex(config)}`);
  });

  it('saves gzip-compressed layers as plain layer.tar and refuses archive members that leave the archive', async () => {
    const src = await ImageStore.open(join(root, 'gz'));
    const { tar } = makeBusyboxRootfsTar(root);
    const gz = join(root, 'rootfs.tar.gz');
    execFileSync('sh', ['-c', `gzip -c ${tar} > ${gz}`]);
    const img = await importRootfs(src, createReadStream(gz), { tag: 'gz' });
    expect(img.diffIds[0]).toBe(`sha256:${hex(readFileSync(tar))}`);
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    await saveImages(src, ['gz'], out);
    const dst = await ImageStore.open(join(root, 'gz-dst'));
    await loadImages(dst, Readable.from([Buffer.concat(chunks)]));
    expect((await dst.resolve('gz')).id).toBe(img.id);

    const { config } = await twoLayerImage();
    const evil = await tarOf([
      file(`${hex(config)}.json`, config.toString()),
      { name: 'l1/layer.tar', type: 'symlink', mode: 0o777, linkname: '/etc/hostname' },
      { name: 'l2/layer.tar', type: 'symlink', mode: 0o777, linkname: '/etc/hostname' },
      file(
        'manifest.json',
        JSON.stringify([
          { Config: `${hex(config)}.json`, RepoTags: ['evil:1'], Layers: ['l1/layer.tar', 'l2/layer.tar'] },
        ]),
      ),
    ]);
    await expect(loadImages(dst, Readable.from([evil]))).rejects.toThrow(
      'invalid archive: l1/layer.tar points outside the archive',
    );
    await expect(dst.resolve('evil:1')).rejects.toThrow('No such image');
  });
});
