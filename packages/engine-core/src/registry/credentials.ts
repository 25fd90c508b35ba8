// `login` credentials in docker's config.json format ({"auths": {"<server>": {"auth": base64}}}),
// so a file written by docker works here and the other way round.
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../images/fs-util';
import type { AuthConfig } from './auth';

/** Docker keeps Docker Hub credentials under this legacy key. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

export function credentialKey(server: string): string {
  const s = server.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  if (s === '' || s === 'docker.io' || s === 'index.docker.io' || s === 'registry-1.docker.io')
    return DOCKER_HUB_AUTH_KEY;
  return s;
}

interface ConfigFile {
  auths?: Record<string, { auth?: string; identitytoken?: string }>;
  [k: string]: unknown;
}

export class CredentialStore {
  constructor(readonly file: string) {}

  private async read(): Promise<ConfigFile> {
    try {
      return JSON.parse(await readFile(this.file, 'utf8')) as ConfigFile;
    } catch {
      return {};
    }
  }

  async get(server: string): Promise<AuthConfig | undefined> {
    const cfg = await this.read();
    const key = credentialKey(server);
    const entry = cfg.auths?.[key] ?? Object.entries(cfg.auths ?? {}).find(([k]) => credentialKey(k) === key)?.[1];
    if (!entry) return undefined;
    const out: AuthConfig = { serveraddress: key };
    if (entry.auth) {
      const plain = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = plain.indexOf(':');
      out.username = plain.slice(0, colon);
      out.password = plain.slice(colon + 1);
    }
    if (entry.identitytoken) out.identitytoken = entry.identitytoken;
    return out;
  }

  async set(server: string, auth: AuthConfig): Promise<void> {
    const cfg = await this.read();
    cfg.auths ??= {};
    const entry: { auth?: string; identitytoken?: string } = {};
    if (auth.username) entry.auth = Buffer.from(`${auth.username}:${auth.password ?? ''}`).toString('base64');
    if (auth.identitytoken) entry.identitytoken = auth.identitytoken;
    cfg.auths[credentialKey(server)] = entry;
    await mkdir(dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, `${JSON.stringify(cfg, null, '\t')}\n`);
  }

  /** Returns false when there was nothing stored for the server (docker logout says so). */
  async remove(server: string): Promise<boolean> {
    const cfg = await this.read();
    const key = credentialKey(server);
    if (!cfg.auths?.[key]) return false;
    delete cfg.auths[key];
    await writeFileAtomic(this.file, `${JSON.stringify(cfg, null, '\t')}\n`);
    return true;
  }
}
