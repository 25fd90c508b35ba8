// Registry credentials the CLI keeps after `login` (like ~/.docker/config.json), sent to the daemon
// as X-Registry-Auth on pull and push.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

const INDEX = 'https://index.docker.io/v1/';

export function configPath(env: NodeJS.ProcessEnv): string {
  return env.FLOTILLA_CONFIG
    ? join(env.FLOTILLA_CONFIG, 'config.json')
    : join(env.HOME || homedir(), '.flotilla', 'config.json');
}

interface ConfigFile {
  auths?: Record<string, { auth?: string }>;
}

function readConfig(env: NodeJS.ProcessEnv): ConfigFile {
  try {
    return JSON.parse(readFileSync(configPath(env), 'utf8')) as ConfigFile;
  } catch {
    return {};
  }
}

/** The registry host of a reference: "localhost:5000/x" -> "localhost:5000"; "x" -> docker.io. */
export function registryOf(ref: string): string {
  const first = ref.split('/')[0]!;
  if (ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) return first;
  return INDEX;
}

export function normalizeServer(server: string | undefined): string {
  if (!server || /(^|\.)docker\.io$/.test(server.replace(/^https?:\/\//, '').replace(/\/.*$/, ''))) return INDEX;
  return server.replace(/^https?:\/\//, '').replace(/\/+$/, '');
}

export function saveAuth(env: NodeJS.ProcessEnv, server: string, username: string, password: string): void {
  const cfg = readConfig(env);
  cfg.auths ??= {};
  cfg.auths[server] = { auth: Buffer.from(`${username}:${password}`).toString('base64') };
  const p = configPath(env);
  mkdirSync(dirname(p), { recursive: true, mode: 0o700 });
  writeFileSync(p, `${JSON.stringify(cfg, null, 2)}\n`, { mode: 0o600 });
}

export function removeAuth(env: NodeJS.ProcessEnv, server: string): boolean {
  const cfg = readConfig(env);
  if (!cfg.auths?.[server]) return false;
  delete cfg.auths[server];
  writeFileSync(configPath(env), `${JSON.stringify(cfg, null, 2)}\n`, { mode: 0o600 });
  return true;
}

/** X-Registry-Auth header value for a reference, if we have credentials for its registry. */
export function authHeaderFor(env: NodeJS.ProcessEnv, ref: string): string | undefined {
  const server = registryOf(ref);
  const entry = readConfig(env).auths?.[server];
  if (!entry?.auth) return undefined;
  const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const json = JSON.stringify({
    username: decoded.slice(0, colon),
    password: decoded.slice(colon + 1),
    serveraddress: server,
  });
  return Buffer.from(json).toString('base64url');
}
