// A tiny method + path router: docker's paths with an optional /v1.NN version prefix.
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Aborted when the client goes away: long operations and follows stop with it. */
  signal: AbortSignal;
}

export type Handler = (ctx: RouteContext) => Promise<void>;

interface Route {
  method: string;
  re: RegExp;
  keys: string[];
  handler: Handler;
}

const VERSION_PREFIX = /^\/v\d+\.\d+(?=\/)/;

export class Router {
  private readonly routes: Route[] = [];

  /** pattern like "/containers/{id}/json"; "{name*}" matches across slashes (image names). */
  add(method: string, pattern: string, handler: Handler): this {
    const keys: string[] = [];
    const src = pattern.replace(/[.]/g, '\\.').replace(/\{(\w+)(\*?)\}/g, (_m, key: string, star: string) => {
      keys.push(key);
      return star ? '(.+?)' : '([^/]+)';
    });
    this.routes.push({ method, re: new RegExp(`^${src}$`), keys, handler });
    return this;
  }

  /** Returns the matching handler and params, or null (404) / 'method' (405-ish, docker says 404 too). */
  match(method: string, rawPath: string): { handler: Handler; params: Record<string, string> } | null {
    const path = rawPath.replace(VERSION_PREFIX, '');
    const m = method === 'HEAD' ? ['HEAD', 'GET'] : [method];
    for (const r of this.routes) {
      if (!m.includes(r.method)) continue;
      const hit = r.re.exec(path);
      if (!hit) continue;
      const params: Record<string, string> = {};
      r.keys.forEach((k, i) => {
        params[k] = decodeURIComponent(hit[i + 1] ?? '');
      });
      return { handler: r.handler, params };
    }
    return null;
  }
}
