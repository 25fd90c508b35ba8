// Registry authentication: WWW-Authenticate parsing, Docker Hub style bearer tokens, basic auth,
// and the X-Registry-Auth header docker clients send to the daemon.
import { InvalidArgumentError } from '../errors';

/** Docker's AuthConfig (what `docker login` stores and clients send in X-Registry-Auth). */
export interface AuthConfig {
  username?: string;
  password?: string;
  /** A refresh token from a token server (OAuth2 password grant); used instead of a password. */
  identitytoken?: string;
  /** A bearer token to send as it is. */
  registrytoken?: string;
  serveraddress?: string;
}

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parse `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="..."`. */
export function parseChallenge(header: string): Challenge {
  const sp = header.indexOf(' ');
  const scheme = (sp < 0 ? header : header.slice(0, sp)).trim().toLowerCase();
  const params: Record<string, string> = {};
  const re = /([a-zA-Z_]+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (const [, key, quoted, bare] of (sp < 0 ? '' : header.slice(sp + 1)).matchAll(re))
    if (key !== undefined) params[key.toLowerCase()] = (quoted ?? bare ?? '').replace(/\\(.)/g, '$1');
  return { scheme, params };
}

export function basicHeader(auth: AuthConfig): string | undefined {
  if (!auth.username) return undefined;
  return `Basic ${Buffer.from(`${auth.username}:${auth.password ?? ''}`).toString('base64')}`;
}

/** Decode docker's X-Registry-Auth header (base64url JSON); undefined when absent or empty. */
export function decodeRegistryAuthHeader(header: string | undefined): AuthConfig | undefined {
  if (!header) return undefined;
  try {
    const json = Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    if (!json.trim()) return undefined;
    const v = JSON.parse(json) as unknown;
    if (!v || typeof v !== 'object') return undefined;
    const a = v as Record<string, unknown>;
    const s = (k: string) => (typeof a[k] === 'string' && a[k] ? (a[k] as string) : undefined);
    return {
      username: s('username'),
      password: s('password'),
      identitytoken: s('identitytoken'),
      registrytoken: s('registrytoken'),
      serveraddress: s('serveraddress'),
    };
  } catch (e) {
    throw new InvalidArgumentError('invalid X-Registry-Auth header: expected base64url-encoded JSON', { cause: e });
  }
}

export function encodeRegistryAuthHeader(auth: AuthConfig): string {
  return Buffer.from(JSON.stringify(auth)).toString('base64url');
}
