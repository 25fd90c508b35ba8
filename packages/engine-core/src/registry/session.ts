// HTTP to one repository of one registry, with auth handled on the way: a 401 challenge is
// answered with a bearer token (token server, Docker Hub style) or basic credentials, then retried.
import { silentLogger, type Logger } from '../log';
import { basicHeader, parseChallenge, type AuthConfig } from './auth';
import { RegistryError } from './errors';

export type FetchFn = typeof fetch;

/** Docker treats loopback registries as insecure (plain http) without configuration. */
export function isInsecureHost(domain: string, extra: string[] = []): boolean {
  const host = domain.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return (
    host === 'localhost' || host === '::1' || /^127\./.test(host) || extra.includes(domain) || extra.includes(host)
  );
}

export function registryBaseUrl(domain: string, insecure: string[] = []): string {
  const host = domain === 'docker.io' ? 'registry-1.docker.io' : domain;
  return `${isInsecureHost(domain, insecure) ? 'http' : 'https'}://${host}`;
}

export interface RequestInitLite {
  method?: string;
  headers?: Record<string, string>;
  /** A factory, so the request can be re-sent after an auth challenge. */
  body?: () => NonNullable<RequestInit['body']>;
  signal?: AbortSignal;
  /** Return these statuses to the caller instead of throwing (e.g. 404 for HEAD blob). */
  accept?: number[];
}

export interface SessionOptions {
  fetch?: FetchFn;
  /** Extra host[:port]s to reach over plain http (loopback ones always are). */
  insecure?: string[];
  log?: Logger;
}

export class RegistrySession {
  private authorization?: string;
  readonly baseUrl: string;
  private readonly fetchFn: FetchFn;
  private readonly log: Logger;

  constructor(
    readonly domain: string,
    readonly repo: string,
    private readonly auth: AuthConfig | undefined,
    private readonly actions: string[],
    opts: SessionOptions = {},
  ) {
    this.fetchFn = opts.fetch ?? fetch;
    this.log = opts.log ?? silentLogger;
    this.baseUrl = registryBaseUrl(domain, opts.insecure ?? []);
    if (auth?.registrytoken) this.authorization = `Bearer ${auth.registrytoken}`;
  }

  url(path: string): string {
    return /^https?:\/\//.test(path) ? path : `${this.baseUrl}${path}`;
  }

  async request(path: string, init: RequestInitLite = {}): Promise<Response> {
    let res = await this.send(path, init);
    if (res.status === 401) {
      const challenge = res.headers.get('www-authenticate');
      await res.body?.cancel();
      if (!challenge)
        throw new RegistryError(
          `unauthorized: ${this.domain} refused the request without saying how to authenticate`,
          401,
        );
      await this.authenticate(challenge, init.signal);
      res = await this.send(path, init);
      if (res.status === 401 || res.status === 403) await this.fail(res, path);
    }
    if (!res.ok && !(init.accept ?? []).includes(res.status)) await this.fail(res, path);
    return res;
  }

  private async send(path: string, init: RequestInitLite): Promise<Response> {
    const headers: Record<string, string> = { 'user-agent': 'flotilla/0.1', ...(init.headers ?? {}) };
    if (this.authorization) headers.authorization = this.authorization;
    const body = init.body?.();
    try {
      return await this.fetchFn(this.url(path), {
        method: init.method ?? 'GET',
        headers,
        body,
        signal: init.signal,
        redirect: 'follow',
        ...(body && typeof (body as ReadableStream).getReader === 'function' ? { duplex: 'half' } : {}),
      } as RequestInit);
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      const cause = (e as { cause?: { code?: string } }).cause;
      throw new RegistryError(
        `cannot reach registry ${this.domain} at ${this.baseUrl}: ${cause?.code ?? (e as Error).message}`,
        502,
        'UNREACHABLE',
        { cause: e },
      );
    }
  }

  /** Answer a WWW-Authenticate challenge; afterwards requests carry the Authorization header. */
  async authenticate(header: string, signal?: AbortSignal): Promise<void> {
    const ch = parseChallenge(header);
    if (ch.scheme === 'basic') {
      const basic = this.auth ? basicHeader(this.auth) : undefined;
      if (!basic)
        throw new RegistryError(
          `unauthorized: authentication required: run \`flotilla login ${this.domain}\` first`,
          401,
          'UNAUTHORIZED',
        );
      this.authorization = basic;
      return;
    }
    if (ch.scheme !== 'bearer' || !ch.params.realm)
      throw new RegistryError(`unsupported authentication scheme from ${this.domain}: ${header}`, 502);
    const u = new URL(ch.params.realm);
    if (ch.params.service) u.searchParams.set('service', ch.params.service);
    u.searchParams.set(
      'scope',
      this.repo ? `repository:${this.repo}:${this.actions.join(',')}` : (ch.params.scope ?? ''),
    );
    if (!u.searchParams.get('scope')) u.searchParams.delete('scope');
    const headers: Record<string, string> = { 'user-agent': 'flotilla/0.1' };
    const basic = this.auth ? basicHeader(this.auth) : undefined;
    if (basic) headers.authorization = basic;
    let res: Response;
    try {
      res = await this.fetchFn(u, { headers, signal });
    } catch (e) {
      throw new RegistryError(
        `cannot reach the token server ${u.origin} of ${this.domain}: ${(e as Error).message}`,
        502,
        'UNREACHABLE',
        { cause: e },
      );
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw basic
        ? new RegistryError(`unauthorized: incorrect username or password for ${this.domain}`, 401, 'UNAUTHORIZED')
        : new RegistryError(
            `unauthorized: ${this.domain} requires a login: run \`flotilla login ${this.domain}\``,
            401,
            'UNAUTHORIZED',
          );
    }
    if (!res.ok) throw new RegistryError(`token server of ${this.domain} answered ${res.status}`, 502);
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError(`token server of ${this.domain} returned no token`, 502);
    this.authorization = `Bearer ${token}`;
    this.log.debug({ domain: this.domain, repo: this.repo }, 'bearer token obtained');
  }

  /** Turn a registry error response into a RegistryError with docker's wording. */
  private async fail(res: Response, path: string): Promise<never> {
    let code: string | undefined;
    let message = `${res.status} ${res.statusText}`;
    try {
      const body = (await res.json()) as { errors?: { code?: string; message?: string }[] };
      const e = body.errors?.[0];
      if (e) {
        code = e.code;
        message = `${(e.code ?? '').toLowerCase().replace(/_/g, ' ')}: ${e.message ?? ''}`.trim();
      }
    } catch {
      // no JSON body
    }
    const status = res.status === 404 ? 404 : res.status === 401 || res.status === 403 ? 401 : 502;
    throw new RegistryError(`${this.domain}: ${message} (${path.replace(/^https?:\/\/[^/]+/, '')})`, status, code);
  }
}
