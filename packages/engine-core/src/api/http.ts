// Request/response helpers shared by the routes: JSON bodies validated with zod, docker's error
// shape, query parsing with docker's boolean conventions.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { InvalidArgumentError } from '../errors';

const MAX_JSON_BODY = 8 * 1024 * 1024;

export async function readRaw(req: IncomingMessage, limit = MAX_JSON_BODY): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > limit) throw new InvalidArgumentError(`request body larger than ${limit} bytes`);
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

/** Parse and validate a JSON body; an empty body parses as `emptyAs`. */
export async function readJson<T>(req: IncomingMessage, schema: z.ZodType<T>, emptyAs: unknown = {}): Promise<T> {
  const raw = await readRaw(req);
  let value: unknown = emptyAs;
  if (raw.length > 0 && raw.toString('utf8').trim() !== '') {
    try {
      value = JSON.parse(raw.toString('utf8'));
    } catch (e) {
      throw new InvalidArgumentError(`malformed JSON body: ${(e as Error).message}`);
    }
  }
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue && issue.path.length ? issue.path.join('.') : 'body';
    throw new InvalidArgumentError(`invalid request body: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  return r.data;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': data.length });
  res.end(data);
}

export function sendNoContent(res: ServerResponse, status = 204): void {
  res.writeHead(status);
  res.end();
}

export function sendError(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, { message });
}

/** docker treats "1", "true", "True" as true; absent = default. */
export function qBool(q: URLSearchParams, key: string, dflt = false): boolean {
  const v = q.get(key);
  if (v === null || v === '') return dflt;
  if (['1', 'true', 'True', 'TRUE'].includes(v)) return true;
  if (['0', 'false', 'False', 'FALSE'].includes(v)) return false;
  throw new InvalidArgumentError(`invalid boolean value for ${key}: ${v}`);
}

export function qInt(q: URLSearchParams, key: string): number | undefined {
  const v = q.get(key);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`invalid number for ${key}: ${v}`);
  return n;
}

/** `filters` is a JSON object of string arrays (docker also accepts {key: {value: true}}). */
export function qFilters(q: URLSearchParams): Record<string, string[]> | undefined {
  const v = q.get('filters');
  if (!v) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(v);
  } catch {
    throw new InvalidArgumentError(`invalid filters: ${v}`);
  }
  if (!parsed || typeof parsed !== 'object') throw new InvalidArgumentError(`invalid filters: ${v}`);
  const out: Record<string, string[]> = {};
  for (const [k, val] of Object.entries(parsed as Record<string, unknown>)) {
    if (Array.isArray(val)) out[k] = val.map(String);
    else if (val && typeof val === 'object') out[k] = Object.keys(val);
    else throw new InvalidArgumentError(`invalid filters: ${v}`);
  }
  return out;
}

/** X-Registry-Auth: base64url JSON of {username, password, serveraddress}. */
export function registryAuth(req: IncomingMessage): Record<string, string> | undefined {
  const h = req.headers['x-registry-auth'];
  if (typeof h !== 'string' || h === '') return undefined;
  try {
    const json = Buffer.from(h.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    const v = JSON.parse(json) as unknown;
    return v && typeof v === 'object' ? (v as Record<string, string>) : undefined;
  } catch {
    throw new InvalidArgumentError('invalid X-Registry-Auth header');
  }
}
