// /containers/... and /exec/... : translate HTTP to the container backend.
import { pipeline } from 'node:stream/promises';
import type { ContainerBackend, ContainerCreateBody, ExecCreateBody } from '../backend';
import type { Router } from '../router';
import type { HijackRouter } from '../hijack';
import { InvalidArgumentError } from '../../errors';
import { qBool, qFilters, qInt, readJson, sendJson, sendNoContent } from '../http';
import { commitConfigSchema, containerCreateSchema, execCreateSchema, execStartSchema } from '../schemas';
import { pipeOutput } from '../streams';

const NAME_RE = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

function parseSince(v: string | null): number {
  if (!v) return 0;
  const n = Number(v);
  if (Number.isFinite(n)) return n;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new InvalidArgumentError(`invalid value for since: ${v}`);
  return t / 1000;
}

export function containerRoutes(r: Router, h: HijackRouter, c: ContainerBackend): void {
  r.add('GET', '/containers/json', async ({ res, query }) => {
    sendJson(res, 200, await c.list({ all: qBool(query, 'all'), filters: qFilters(query) }));
  });

  r.add('POST', '/containers/prune', async ({ res }) => {
    if (!c.prune) throw new InvalidArgumentError('container prune is not supported');
    sendJson(res, 200, await c.prune());
  });

  r.add('POST', '/containers/create', async ({ req, res, query }) => {
    const name = query.get('name') ?? undefined;
    if (name !== undefined && name !== '' && !NAME_RE.test(name)) {
      throw new InvalidArgumentError(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    }
    const body = (await readJson(req, containerCreateSchema, null)) as ContainerCreateBody;
    sendJson(res, 201, await c.create(name || undefined, body));
  });

  r.add('GET', '/containers/{id}/json', async ({ res, params }) => {
    sendJson(res, 200, await c.inspect(params.id!));
  });

  r.add('POST', '/containers/{id}/start', async ({ res, params }) => {
    await c.start(params.id!);
    sendNoContent(res);
  });

  r.add('POST', '/containers/{id}/stop', async ({ res, params, query }) => {
    await c.stop(params.id!, { timeout: qInt(query, 't'), signal: query.get('signal') ?? undefined });
    sendNoContent(res);
  });

  r.add('POST', '/containers/{id}/restart', async ({ res, params, query }) => {
    await c.restart(params.id!, { timeout: qInt(query, 't') });
    sendNoContent(res);
  });

  r.add('POST', '/containers/{id}/kill', async ({ res, params, query }) => {
    await c.kill(params.id!, query.get('signal') || 'SIGKILL');
    sendNoContent(res);
  });

  r.add('POST', '/containers/{id}/wait', async ({ res, params, query, signal }) => {
    const condition = query.get('condition') || 'not-running';
    if (!['not-running', 'next-exit', 'removed'].includes(condition))
      throw new InvalidArgumentError(`invalid condition: ${condition}`);
    // Like dockerd: headers go out once the wait is registered (clients start the container after
    // that), the result follows when the condition is met.
    const result = c.wait(params.id!, { condition, signal });
    const early = await Promise.race([
      result.then(
        () => null,
        (e: unknown) => e,
      ),
      new Promise((r) => setImmediate(() => r(undefined))),
    ]);
    if (early) throw early;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    try {
      res.end(JSON.stringify(await result));
    } catch (e) {
      res.end(JSON.stringify({ StatusCode: -1, Error: { Message: e instanceof Error ? e.message : String(e) } }));
    }
  });

  r.add('DELETE', '/containers/{id}', async ({ res, params, query }) => {
    await c.remove(params.id!, { force: qBool(query, 'force'), volumes: qBool(query, 'v') });
    sendNoContent(res);
  });

  r.add('POST', '/containers/{id}/pause', async ({ res, params }) => {
    if (!c.pause) throw new InvalidArgumentError('pause is not supported');
    await c.pause(params.id!);
    sendNoContent(res);
  });

  r.add('POST', '/containers/{id}/unpause', async ({ res, params }) => {
    if (!c.unpause) throw new InvalidArgumentError('unpause is not supported');
    await c.unpause(params.id!);
    sendNoContent(res);
  });

  r.add('POST', '/containers/{id}/rename', async ({ res, params, query }) => {
    const name = query.get('name');
    if (!name || !NAME_RE.test(name)) throw new InvalidArgumentError(`Invalid container name (${name ?? ''})`);
    if (!c.rename) throw new InvalidArgumentError('rename is not supported');
    await c.rename(params.id!, name);
    sendNoContent(res);
  });

  r.add('GET', '/containers/{id}/logs', async ({ res, params, query, signal }) => {
    const stdout = qBool(query, 'stdout');
    const stderr = qBool(query, 'stderr');
    if (!stdout && !stderr) throw new InvalidArgumentError('Bad parameters: you must choose at least one stream');
    const tailQ = query.get('tail');
    const tail = !tailQ || tailQ === 'all' ? 'all' : Number(tailQ);
    if (tail !== 'all' && (!Number.isInteger(tail) || tail < 0))
      throw new InvalidArgumentError(`invalid value for tail: ${tailQ}`);
    const { tty, chunks } = await c.logs(params.id!, {
      follow: qBool(query, 'follow'),
      stdout,
      stderr,
      since: parseSince(query.get('since')),
      until: parseSince(query.get('until')),
      timestamps: qBool(query, 'timestamps'),
      tail,
      signal,
    });
    res.writeHead(200, {
      'Content-Type': tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream',
    });
    res.flushHeaders();
    await pipeOutput(chunks, res, tty);
    res.end();
  });

  r.add('GET', '/containers/{id}/top', async ({ res, params, query }) => {
    sendJson(res, 200, await c.top(params.id!, query.get('ps_args') || '-ef'));
  });

  r.add('GET', '/containers/{id}/stats', async ({ res, params, query, signal }) => {
    const stream = qBool(query, 'stream', true) && !qBool(query, 'one-shot');
    if (!stream) {
      sendJson(res, 200, await c.stats(params.id!));
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    while (!signal.aborted && !res.destroyed) {
      res.write(`${JSON.stringify(await c.stats(params.id!))}\n`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    res.end();
  });

  r.add('GET', '/containers/{id}/export', async ({ res, params }) => {
    if (!c.export) throw new InvalidArgumentError('export is not supported');
    const tar = await c.export(params.id!);
    res.writeHead(200, { 'Content-Type': 'application/x-tar' });
    await pipeline(tar, res).catch(() => res.destroy());
  });

  // docker commit: the body is the container config to use (optional; docker's CLI sends none).
  r.add('POST', '/commit', async ({ req, res, query }) => {
    const container = query.get('container');
    if (!container) throw new InvalidArgumentError('container is required');
    if (!c.commit) throw new InvalidArgumentError('commit is not supported');
    const repo = query.get('repo') || '';
    const tag = query.get('tag') || '';
    if (!repo && tag) throw new InvalidArgumentError('tag given without a repository');
    const body = (await readJson(req, commitConfigSchema, null)) as Record<string, unknown> | null;
    const result = await c.commit(container, {
      tag: repo ? `${repo}:${tag || 'latest'}` : undefined,
      comment: query.get('comment') || undefined,
      author: query.get('author') || undefined,
      changes: query.getAll('changes').filter((x) => x.trim()),
      pause: qBool(query, 'pause', true),
      config: body,
    });
    sendJson(res, 201, result);
  });

  // Attach without hijacking: output only (the hijacked form in hijack.ts also carries stdin).
  r.add('POST', '/containers/{id}/attach', async ({ res, params, query, signal }) => {
    const p = await c.attach(params.id!, {
      stdin: false,
      stdout: qBool(query, 'stdout'),
      stderr: qBool(query, 'stderr'),
      stream: qBool(query, 'stream'),
      logs: qBool(query, 'logs'),
      signal,
    });
    res.writeHead(200, {
      'Content-Type': p.tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream',
    });
    res.flushHeaders();
    await pipeOutput(p.output, res, p.tty);
    res.end();
  });

  h.add('/containers/{id}/attach', async ({ params, query, signal }) => {
    const p = await c.attach(params.id!, {
      stdin: qBool(query, 'stdin'),
      stdout: qBool(query, 'stdout'),
      stderr: qBool(query, 'stderr'),
      stream: qBool(query, 'stream'),
      logs: qBool(query, 'logs'),
      signal,
    });
    return p;
  });

  r.add('POST', '/containers/{id}/exec', async ({ req, res, params }) => {
    const body = (await readJson(req, execCreateSchema)) as ExecCreateBody;
    sendJson(res, 201, await c.execCreate(params.id!, body));
  });

  r.add('POST', '/exec/{id}/start', async ({ req, res, params, signal }) => {
    const body = await readJson(req, execStartSchema);
    const p = await c.execStart(params.id!, { detach: !!body.Detach, tty: !!body.Tty, signal });
    if (!p) {
      sendNoContent(res, 200);
      return;
    }
    res.writeHead(200, {
      'Content-Type': p.tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream',
    });
    res.flushHeaders();
    await pipeOutput(p.output, res, p.tty);
    res.end();
  });

  h.add('/exec/{id}/start', async ({ body, params, signal }) => {
    const parsed = execStartSchema.safeParse(body ?? {});
    if (!parsed.success) throw new InvalidArgumentError('invalid exec start body');
    const p = await c.execStart(params.id!, { detach: false, tty: !!parsed.data.Tty, signal });
    if (!p) throw new InvalidArgumentError('exec started detached');
    return p;
  });

  r.add('GET', '/exec/{id}/json', async ({ res, params }) => {
    sendJson(res, 200, await c.execInspect(params.id!));
  });

  r.add('POST', '/exec/{id}/resize', async ({ res }) => sendNoContent(res, 200));
  r.add('POST', '/containers/{id}/resize', async ({ res }) => sendNoContent(res, 200));
}
