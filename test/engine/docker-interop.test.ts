// save/load interop with a real Docker engine (Debian's docker.io 20.10), both ways: a multi-layer
// image whose later layer deletes files of earlier ones (whiteouts in the archive) keeps its
// content, its config and its ID. Fails, never skips, when dockerd is not installed.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBusyboxRootfsTar } from '../../packages/engine-core/src/testing/busybox-rootfs';
import { PrivateDockerd } from './dockerd';
import { TestEngine } from './harness';

jest.setTimeout(120_000);

const BASE = 'interop-base:latest';
const DOCKERFILE = `FROM interop-base
ENV GREETING=hello
WORKDIR /app
COPY keep.txt /app/keep.txt
RUN echo one > a.txt && echo doomed > gone.txt && mkdir d && echo x > d/x
RUN rm gone.txt /bin/vi && rm -r d && mkdir d && echo y > d/y && echo two > b.txt
CMD ["sh", "-c", "echo $GREETING; pwd; ls -R /app; test -e /bin/vi || echo vi-deleted"]
`;
// gone.txt (from the first RUN) and /bin/vi (from the base layer) are deleted; d/ is replaced.
const EXPECTED = 'hello\n/app\n/app:\na.txt\nb.txt\nd\nkeep.txt\n\n/app/d:\ny\nvi-deleted\n';

const engine = new TestEngine('interop');
let docker: PrivateDockerd | null = null;
let work = '';

function writeContext(dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Dockerfile'), DOCKERFILE);
  writeFileSync(join(dir, 'keep.txt'), 'kept\n');
  return dir;
}

/** Every member name of every layer.tar in a docker-save archive. */
function layerMembers(archive: string): string[] {
  const dir = mkdtempSync(join(work, 'list-'));
  execFileSync('tar', ['-xf', archive, '-C', dir]);
  const [image] = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { Layers: string[] }[];
  if (!image) throw new Error(`${archive}: manifest.json lists no image`);
  return image.Layers.flatMap((l) =>
    execFileSync('tar', ['-tf', join(dir, l)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean),
  );
}

interface Inspected {
  Id: string;
  Config: { Env: string[] | null; Cmd: string[] | null; WorkingDir: string };
  RootFS: { Layers: string[] };
}

/** The one object `image inspect REF` prints. */
function inspected(json: string, who: string, ref: string): Inspected {
  const [img] = JSON.parse(json) as Inspected[];
  if (!img) throw new Error(`${who} image inspect ${ref} printed no image`);
  return img;
}

async function flotillaInspect(ref: string): Promise<Inspected> {
  return inspected(await engine.ok(['image', 'inspect', ref]), 'flotilla', ref);
}

async function dockerInspect(ref: string): Promise<Inspected> {
  return inspected(await (docker as PrivateDockerd).ok(['image', 'inspect', ref]), 'docker', ref);
}

function expectConfig(img: Inspected, layers: number): void {
  expect(img.Config.Env).toContain('GREETING=hello');
  expect(img.Config.Cmd).toEqual(['sh', '-c', 'echo $GREETING; pwd; ls -R /app; test -e /bin/vi || echo vi-deleted']);
  expect(img.Config.WorkingDir).toBe('/app');
  expect(img.RootFS.Layers).toHaveLength(layers);
}

beforeAll(async () => {
  work = mkdtempSync(join(engine.dir, 'work-'));
  docker = new PrivateDockerd('interop');
  const { tar } = makeBusyboxRootfsTar(work);
  await Promise.all([docker.start(), engine.start()]);
  await docker.ok(['import', tar, BASE]);
  await engine.ok(['import', tar, BASE]);
});

afterAll(async () => {
  try {
    await docker?.stop();
  } finally {
    await engine.cleanup();
  }
});

test('an image built by Docker -> docker save -> flotilla load -> flotilla run: whiteouts honoured, config and ID kept', async () => {
  const d = docker as PrivateDockerd;
  await d.ok(['build', '-q', '-t', 'from-docker:1', writeContext(join(work, 'ctx-docker'))]);
  expect(await d.ok(['run', '--rm', '--network', 'none', 'from-docker:1'])).toBe(EXPECTED);
  const archive = join(work, 'from-docker.tar');
  await d.ok(['save', '-o', archive, 'from-docker:1']);
  const members = layerMembers(archive);
  expect(members).toContain('app/.wh.gone.txt');
  expect(members).toContain('bin/.wh.vi');

  expect(await engine.ok(['load', '-i', archive])).toBe('Loaded image: from-docker:1\n');
  expect(await engine.cli(['run', '--rm', 'from-docker:1'])).toEqual({ code: 0, stdout: EXPECTED, stderr: '' });
  const theirs = await dockerInspect('from-docker:1');
  const ours = await flotillaInspect('from-docker:1');
  // base, WORKDIR (docker commits the mkdir), COPY, 2 RUNs
  expectConfig(ours, 5);
  expect(ours.Id).toBe(theirs.Id);
  expect(ours.RootFS.Layers).toEqual(theirs.RootFS.Layers);
});

test('an image built by flotilla -> flotilla save -> docker load -> docker run: whiteouts honoured, config and ID kept', async () => {
  const d = docker as PrivateDockerd;
  await engine.ok(['build', '-q', '-t', 'from-flotilla:1', writeContext(join(work, 'ctx-flotilla'))]);
  expect(await engine.cli(['run', '--rm', 'from-flotilla:1'])).toEqual({ code: 0, stdout: EXPECTED, stderr: '' });
  const archive = join(work, 'from-flotilla.tar');
  await engine.ok(['save', '-o', archive, 'from-flotilla:1']);
  const members = layerMembers(archive);
  expect(members.some((m) => /(^|\/)app\/\.wh\.gone\.txt$/.test(m))).toBe(true);
  expect(members.some((m) => /(^|\/)bin\/\.wh\.vi$/.test(m))).toBe(true);

  expect(await d.ok(['load', '-i', archive])).toBe('Loaded image: from-flotilla:1\n');
  expect(await d.ok(['run', '--rm', '--network', 'none', 'from-flotilla:1'])).toBe(EXPECTED);
  const ours = await flotillaInspect('from-flotilla:1');
  const theirs = await dockerInspect('from-flotilla:1');
  // base, COPY, 2 RUNs: flotilla's WORKDIR adds no layer
  expectConfig(theirs, 4);
  expect(theirs.Id).toBe(ours.Id);
  expect(theirs.RootFS.Layers).toEqual(ours.RootFS.Layers);
  // and back again: docker's save of the image flotilla made loads into flotilla unchanged
  const again = join(work, 'round-trip.tar');
  await d.ok(['save', '-o', again, 'from-flotilla:1']);
  await engine.ok(['rmi', 'from-flotilla:1']);
  await engine.ok(['load', '-i', again]);
  expect((await flotillaInspect('from-flotilla:1')).Id).toBe(ours.Id);
  expect(await engine.cli(['run', '--rm', 'from-flotilla:1'])).toEqual({ code: 0, stdout: EXPECTED, stderr: '' });
});
