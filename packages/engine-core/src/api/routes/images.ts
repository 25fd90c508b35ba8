// /images/..., /build, /auth: translate HTTP to the image backend. Long operations stream
// docker's JSON progress lines; an error after the headers went out is sent as {"error": ...}.
import type { ServerResponse } from 'node:http';
import type { ImageBackend, ProgressSink, RegistryAuth } from '../backend';
import type { Router } from '../router';
import { InvalidArgumentError, isEngineError } from '../../errors';
import { qBool, qFilters, readJson, registryAuth, sendJson } from '../http';
import { authSchema } from '../schemas';
import { jsonLines } from '../streams';

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Run a streamed operation: progress lines, and a final error line if it fails. With `lazy` the
 * headers wait for the first line, so a failure before any output is a plain error status, as
 * dockerd answers a pull whose manifest cannot be resolved.
 */
async function streamed(
  res: ServerResponse,
  op: (progress: ProgressSink) => Promise<void>,
  opts: { lazy?: boolean } = {},
): Promise<void> {
  let sink: ProgressSink | null = opts.lazy ? null : jsonLines(res);
  const progress: ProgressSink = (msg) => {
    sink ??= jsonLines(res);
    sink(msg);
  };
  try {
    await op(progress);
  } catch (e) {
    if (!sink) throw e;
    const message = errorMessage(e);
    progress({ errorDetail: { message, code: isEngineError(e) ? e.status : 500 }, error: message });
  }
  if (!sink) jsonLines(res);
  res.end();
}

function splitRepoTag(ref: string): { repo: string; tag: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { repo: ref.slice(0, at), tag: ref.slice(at + 1) };
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref, tag: '' };
}

export function imageRoutes(r: Router, images: ImageBackend): void {
  r.add('GET', '/images/json', async ({ res, query }) => {
    sendJson(res, 200, await images.list({ all: qBool(query, 'all'), filters: qFilters(query) }));
  });

  // Pull (fromImage) or import (fromSrc=- with the tar as body).
  r.add('POST', '/images/create', async ({ req, res, query, signal }) => {
    const fromImage = query.get('fromImage');
    const fromSrc = query.get('fromSrc');
    if (fromSrc !== null) {
      if (fromSrc !== '-') throw new InvalidArgumentError('only fromSrc=- (tar in the request body) is supported');
      const repo = query.get('repo') || '';
      const tag = query.get('tag') || '';
      const repoTag = repo ? (tag ? `${repo}:${tag}` : repo) : undefined;
      const changes = query.getAll('changes');
      await streamed(res, async (progress) => {
        const id = await images.import(req, repoTag, { changes, message: query.get('message') ?? undefined, signal });
        progress({ status: id });
      });
      return;
    }
    if (!fromImage) throw new InvalidArgumentError('fromImage or fromSrc is required');
    const tag = query.get('tag');
    const ref = tag ? (tag.startsWith('sha256:') ? `${fromImage}@${tag}` : `${fromImage}:${tag}`) : fromImage;
    const auth = registryAuth(req) as RegistryAuth | undefined;
    await streamed(res, (progress) => images.pull(ref, auth, progress, { signal }), { lazy: true });
  });

  r.add('GET', '/images/get', async ({ res, query, signal }) => {
    const names = query.getAll('names');
    if (names.length === 0) throw new InvalidArgumentError('no image names given');
    const tar = await images.save(names, { signal });
    res.writeHead(200, { 'Content-Type': 'application/x-tar' });
    tar.pipe(res);
    await new Promise<void>((resolve, reject) => {
      tar.on('end', resolve);
      tar.on('error', reject);
      res.on('close', resolve);
    });
  });

  r.add('POST', '/images/load', async ({ req, res, query, signal }) => {
    const quiet = qBool(query, 'quiet');
    await streamed(res, async (progress) => {
      // The backend answers docker's own lines ("Loaded image: x:y" / "Loaded image ID: sha256:...").
      const loaded = await images.load(req, { signal });
      if (!quiet) for (const line of loaded) progress({ stream: `${line}\n` });
    });
  });

  r.add('POST', '/build', async ({ req, res, query, signal }) => {
    let buildArgs: Record<string, string> = {};
    let labels: Record<string, string> = {};
    try {
      buildArgs = JSON.parse(query.get('buildargs') || '{}') as Record<string, string>;
      labels = JSON.parse(query.get('labels') || '{}') as Record<string, string>;
    } catch {
      throw new InvalidArgumentError('buildargs and labels must be JSON objects');
    }
    if (typeof buildArgs !== 'object' || buildArgs === null || typeof labels !== 'object' || labels === null) {
      throw new InvalidArgumentError('buildargs and labels must be JSON objects');
    }
    const tags = query.getAll('t');
    const dockerfile = query.get('dockerfile') || 'Dockerfile';
    await streamed(res, async (progress) => {
      const { id } = await images.build(
        {
          context: req,
          tags,
          dockerfile,
          buildArgs,
          labels,
          noCache: qBool(query, 'nocache'),
          target: query.get('target') || undefined,
          pull: qBool(query, 'pull'),
          rm: qBool(query, 'rm', true),
          signal,
        },
        progress,
      );
      // The builder already printed docker's "Successfully built/tagged" lines.
      progress({ aux: { ID: id } });
    });
  });

  r.add('POST', '/auth', async ({ req, res, signal }) => {
    const body = await readJson(req, authSchema);
    sendJson(res, 200, await images.login(body, { signal }));
  });

  r.add('GET', '/images/{name*}/json', async ({ res, params }) => {
    sendJson(res, 200, await images.inspect(params.name!));
  });

  r.add('GET', '/images/{name*}/history', async ({ res, params }) => {
    sendJson(res, 200, await images.history(params.name!));
  });

  r.add('POST', '/images/{name*}/tag', async ({ res, params, query }) => {
    const repo = query.get('repo');
    if (!repo) throw new InvalidArgumentError('repository name is required');
    const split = query.get('tag') ? { repo, tag: query.get('tag')! } : splitRepoTag(repo);
    await images.tag(params.name!, split.repo, split.tag || 'latest');
    res.writeHead(201);
    res.end();
  });

  r.add('POST', '/images/{name*}/push', async ({ req, res, params, query, signal }) => {
    const tag = query.get('tag');
    const ref = tag ? `${params.name!}:${tag}` : params.name!;
    const auth = registryAuth(req) as RegistryAuth | undefined;
    await streamed(res, (progress) => images.push(ref, auth, progress, { signal }));
  });

  r.add('DELETE', '/images/{name*}', async ({ res, params, query }) => {
    sendJson(
      res,
      200,
      await images.remove(params.name!, { force: qBool(query, 'force'), noprune: qBool(query, 'noprune') }),
    );
  });

  r.add('POST', '/images/prune', async ({ res, query }) => {
    if (!images.prune) throw new InvalidArgumentError('image prune is not supported');
    // docker: filters={"dangling":["false"]} means every unused image (prune -a).
    const dangling = qFilters(query)?.dangling?.[0];
    sendJson(res, 200, await images.prune({ all: dangling === 'false' || dangling === '0' }));
  });
}
