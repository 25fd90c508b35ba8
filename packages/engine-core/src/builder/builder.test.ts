import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuildError } from '../errors';
import { ImageStore } from '../images/image-store';
import { dataPaths } from '../paths';
import { RuncBuildRunner } from '../runtime/build-runner';
import { makeBusyboxRootfsTar } from '../testing/busybox-rootfs';
import { Builder } from './builder';
import { item } from '../testing/item';

function findInLayers(dirs: string[], path: string): string | undefined {
  for (const dir of [...dirs].reverse()) {
    const p = join(dir, path);
    if (
      existsSync(p) ||
      (() => {
        try {
          return !!lstatSync(p);
        } catch {
          return false;
        }
      })()
    )
      return p;
  }
  return undefined;
}

describe('Builder', () => {
  let root: string;
  let ctx: string;
  let store: ImageStore;
  let builder: Builder;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'flotilla-build-'));
    // runc state under the test's own dir (the default, /run/flotilla, would keep an empty one per run).
    const paths = dataPaths(join(root, 'data'), join(root, 'run'));
    store = await ImageStore.open(paths.images);
    builder = new Builder({ store, runner: new RuncBuildRunner(paths) });
    ctx = join(root, 'ctx');
    mkdirSync(join(ctx, 'app/node_modules/dep'), { recursive: true });
    copyFileSync(makeBusyboxRootfsTar(root).tar, join(ctx, 'rootfs.tar'));
    writeFileSync(join(ctx, 'app/server.js'), 'console.log("hi")\n');
    writeFileSync(join(ctx, 'app/debug.log'), 'noise\n');
    writeFileSync(join(ctx, 'app/keep.log'), 'kept\n');
    writeFileSync(join(ctx, 'app/node_modules/dep/index.js'), 'module.exports = 1\n');
    writeFileSync(join(ctx, '.dockerignore'), '# not in the image\n**/node_modules\n*/*.log\n!app/keep.log\n');
    writeFileSync(
      join(ctx, 'Dockerfile'),
      [
        '# syntax=docker/dockerfile:1',
        'FROM scratch',
        'ADD rootfs.tar /',
        'ARG GREETING=hello',
        'ENV APP_HOME=/srv/app \\',
        '    MODE=${GREETING:-none}',
        'WORKDIR $APP_HOME',
        'COPY app/ ./',
        'RUN echo "$GREETING from $(pwd)" > /greeting && rm /bin/vi',
        'EXPOSE 80',
        'LABEL org.example.name="demo app"',
        'CMD ["sh", "-c", "cat /greeting"]',
        '',
      ].join('\n'),
    );
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('builds from scratch with ADD, ENV, WORKDIR, COPY (.dockerignore), RUN, CMD and tags the result', async () => {
    const lines: string[] = [];
    const res = await builder.build({
      contextDir: ctx,
      tags: ['demo', 'demo:v1'],
      buildArgs: { GREETING: 'howdy' },
      onProgress: (t) => lines.push(t),
    });
    const out = lines.join('');
    expect(out).toContain('Step 1/10 : FROM scratch\n');
    expect(out).toContain('Step 3/10 : ARG GREETING=hello\n');
    expect(out).toMatch(
      new RegExp(
        `Successfully built ${res.id.slice(7, 19)}\nSuccessfully tagged demo:latest\nSuccessfully tagged demo:v1\n$`,
      ),
    );
    expect(res.cachedSteps).toBe(0);
    const img = await store.resolve('demo:v1');
    expect(img.id).toBe(res.id);
    expect(img.config.Env).toEqual(expect.arrayContaining(['APP_HOME=/srv/app', 'MODE=howdy']));
    expect(img.config.WorkingDir).toBe('/srv/app');
    expect(img.config.Cmd).toEqual(['sh', '-c', 'cat /greeting']);
    expect(img.config.ExposedPorts).toEqual({ '80/tcp': {} });
    expect(img.config.Labels).toEqual({ 'org.example.name': 'demo app' });
    expect(img.diffIds).toHaveLength(3); // ADD, COPY, RUN
    const dirs = await store.layerDirs(img);
    expect(readFileSync(findInLayers(dirs, 'srv/app/server.js')!, 'utf8')).toContain('hi');
    expect(findInLayers(dirs, 'srv/app/keep.log')).toBeDefined();
    expect(findInLayers(dirs, 'srv/app/debug.log')).toBeUndefined();
    expect(findInLayers(dirs, 'srv/app/node_modules')).toBeUndefined();
    expect(readFileSync(join(item(dirs, 2), 'greeting'), 'utf8')).toBe('howdy from /srv/app\n');
    const vi = lstatSync(join(item(dirs, 2), 'bin/vi')); // deleted in RUN: an overlay whiteout in the layer
    expect(vi.isCharacterDevice() && vi.rdev === 0).toBe(true);
    const hist = await store.history('demo');
    expect(hist).toHaveLength(9);
    expect(hist[0]?.Id).toBe(res.id);
  });

  it('rebuilds an unchanged context entirely from the cache, and rebuilds from a changed file on', async () => {
    const lines: string[] = [];
    const t0 = process.hrtime.bigint();
    const res = await builder.build({
      contextDir: ctx,
      tags: ['demo'],
      buildArgs: { GREETING: 'howdy' },
      onProgress: (t) => lines.push(t),
    });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    expect(res.cachedSteps).toBe(9);
    expect(lines.join('').match(/ ---> Using cache\n/g)).toHaveLength(9);
    expect(res.id).toBe((await store.resolve('demo:v1')).id);
    console.log(`warm rebuild: ${ms.toFixed(0)} ms`);

    writeFileSync(join(ctx, 'app/server.js'), 'console.log("changed")\n');
    const changed = await builder.build({ contextDir: ctx, tags: ['demo'], buildArgs: { GREETING: 'howdy' } });
    expect(changed.cachedSteps).toBe(4); // ADD, ARG, ENV, WORKDIR cached; COPY and later rebuilt
    expect(changed.id).not.toBe(res.id);
    // a changed ignored file does not invalidate the cache
    writeFileSync(join(ctx, 'app/debug.log'), 'other noise\n');
    const again = await builder.build({ contextDir: ctx, tags: ['demo'], buildArgs: { GREETING: 'howdy' } });
    expect(again.cachedSteps).toBe(9);
    expect(again.id).toBe(changed.id);
    // --no-cache runs every step again
    const fresh = await builder.build({ contextDir: ctx, buildArgs: { GREETING: 'howdy' }, noCache: true });
    expect(fresh.cachedSteps).toBe(0);
  });

  it('names the Dockerfile line of an error and leaves no image or temp dirs behind', async () => {
    const bad = join(root, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'Dockerfile'), 'FROM scratch\n\n\n\n\nENV A=1\nCOPPY a b\n');
    await expect(builder.build({ contextDir: bad, tags: ['bad'] })).rejects.toThrow(
      'Dockerfile:7: unknown instruction: COPPY',
    );
    // -f names another file; errors then name that file
    mkdirSync(join(bad, 'sub'));
    writeFileSync(join(bad, 'sub', 'Dockerfile.dev'), 'FROM scratch\nEXPOSE eighty\n');
    await expect(builder.build({ contextDir: bad, dockerfile: 'sub/Dockerfile.dev' })).rejects.toThrow(
      'Dockerfile.dev:2: invalid containerPort: eighty',
    );
    await expect(builder.build({ contextDir: bad, dockerfile: 'nope/Dockerfile' })).rejects.toThrow(
      'Cannot locate specified Dockerfile: nope/Dockerfile',
    );

    const failing = join(root, 'failing');
    mkdirSync(failing);
    copyFileSync(join(ctx, 'rootfs.tar'), join(failing, 'rootfs.tar'));
    writeFileSync(
      join(failing, 'Dockerfile'),
      'FROM scratch\nADD rootfs.tar /\nRUN touch /half && exit 3\nCMD ["sh"]\n',
    );
    const before = (await store.list()).length;
    const err = await builder.build({ contextDir: failing, tags: ['failing'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BuildError);
    expect((err as Error).message).toBe(
      "Dockerfile:3: The command '/bin/sh -c touch /half && exit 3' returned a non-zero code: 3",
    );
    expect((await store.list()).length).toBe(before);
    await expect(store.resolve('failing')).rejects.toThrow('No such image: failing');
    expect(readdirSync(join(store.root, 'tmp'))).toEqual([]);

    writeFileSync(join(failing, 'Dockerfile'), 'FROM scratch\nCOPY missing.txt /\n');
    await expect(builder.build({ contextDir: failing })).rejects.toThrow(
      /^Dockerfile:2: file not found in build context or excluded by \.dockerignore: stat missing\.txt/,
    );
  });

  it('builds multi-stage Dockerfiles: FROM <stage>, COPY --from by name, index and merged layers, --target', async () => {
    const ms = join(root, 'multistage');
    mkdirSync(ms);
    copyFileSync(join(ctx, 'rootfs.tar'), join(ms, 'rootfs.tar'));
    writeFileSync(
      join(ms, 'Dockerfile'),
      [
        'FROM --platform=$BUILDPLATFORM scratch AS base',
        'ADD rootfs.tar /',
        'FROM base AS build',
        'RUN mkdir -p /out && echo built > /out/artifact && rm /bin/ls',
        'FROM scratch',
        'COPY --from=build /out/artifact /artifact',
        'COPY --from=0 /etc/passwd /etc/',
        'COPY --from=build /bin/ls* /bin/busybox /tools/',
        '',
      ].join('\n'),
    );
    const res = await builder.build({ contextDir: ms, tags: ['multi'] });
    const dirs = await store.layerDirs(res.image);
    expect(dirs).toHaveLength(3);
    expect(readFileSync(join(item(dirs, 0), 'artifact'), 'utf8')).toBe('built\n');
    expect(readFileSync(join(item(dirs, 1), 'etc/passwd'), 'utf8')).toMatch(/^root:x:0:0/);
    // /bin/ls was deleted in the build stage: the merged view hides it from the glob
    const lsApplets = execFileSync('/usr/bin/busybox', ['--list'], { encoding: 'utf8' })
      .split('\n')
      .filter((a) => a.startsWith('ls') && a !== 'ls');
    expect(readdirSync(join(item(dirs, 2), 'tools')).sort()).toEqual(['busybox', ...lsApplets].sort());
    expect(readdirSync(join(item(dirs, 2), 'tools'))).not.toContain('ls');
    const again = await builder.build({ contextDir: ms, tags: ['multi'] });
    expect(again.id).toBe(res.id);
    expect(again.cachedSteps).toBe(5);
    const base = await builder.build({ contextDir: ms, target: 'build', tags: ['multi:build'] });
    expect(base.image.diffIds).toHaveLength(2);
    await expect(builder.build({ contextDir: ms, target: 'nope' })).rejects.toThrow(
      'failed to reach build target nope',
    );
    expect(readdirSync(join(store.root, 'tmp'))).toEqual([]);
  });

  it('COPY --chown resolves names in the image; ADD extracts a local .tar.gz; a later ENTRYPOINT resets an inherited CMD', async () => {
    const c2 = join(root, 'chown');
    mkdirSync(join(c2, 'payload'), { recursive: true });
    writeFileSync(join(c2, 'payload', 'p.txt'), 'payload');
    execFileSync('tar', ['-czf', join(c2, 'bundle.tar.gz'), '-C', join(c2, 'payload'), '.']);
    writeFileSync(join(c2, 'note.txt'), 'note');
    writeFileSync(
      join(c2, 'Dockerfile'),
      'FROM demo\nCOPY --chown=nobody:nogroup note.txt /home/note.txt\nADD bundle.tar.gz /opt/bundle/\nENTRYPOINT ["/bin/sh"]\n',
    );
    const res = await builder.build({ contextDir: c2 });
    const dirs = await store.layerDirs(res.image);
    const note = lstatSync(join(item(dirs, -2), 'home/note.txt'));
    expect([note.uid, note.gid]).toEqual([65534, 65534]);
    expect(readFileSync(join(item(dirs, -1), 'opt/bundle/p.txt'), 'utf8')).toBe('payload');
    expect(res.image.config.Entrypoint).toEqual(['/bin/sh']);
    expect(res.image.config.Cmd).toBeNull();
    expect(res.image.repoTags).toEqual([]);
  });
});
