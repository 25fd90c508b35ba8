// The Engine API over its unix socket: GET a path, parse the JSON. Errors come back as one of two
// named errors whose message says what to fix; nothing here throws anything else.
import { request } from 'node:http';

/** The socket could not be reached (missing, refused, no answer in time). */
export class EngineUnreachableError extends Error {
  constructor(socketPath: string, cause: string) {
    super(`cannot connect to the Engine API at unix://${socketPath}: ${cause}`);
    this.name = 'EngineUnreachableError';
  }
}

/** The API answered with an error status or something that is not JSON. */
export class EngineApiError extends Error {
  constructor(
    path: string,
    readonly status: number,
    detail: string,
  ) {
    super(`GET ${path} answered ${status}: ${detail}`);
    this.name = 'EngineApiError';
  }
}

function causeOf(e: NodeJS.ErrnoException, socketPath: string): string {
  if (e.code === 'ENOENT') return `${socketPath} does not exist (is it bind-mounted into the container?)`;
  if (e.code === 'ECONNREFUSED') return `nothing listens on ${socketPath} (is the daemon running?)`;
  if (e.code === 'EACCES') return `permission denied on ${socketPath}`;
  return e.message;
}

export function getJson<T>(socketPath: string, path: string, timeoutMs = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath,
        path,
        method: 'GET',
        headers: { Accept: 'application/json', Host: 'flotilla' },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => reject(new EngineUnreachableError(socketPath, e.message)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            reject(new EngineApiError(path, status, `not JSON: ${text.slice(0, 200)}`));
            return;
          }
          if (status < 200 || status >= 300) {
            const message = (body as { message?: unknown } | null)?.message;
            reject(new EngineApiError(path, status, typeof message === 'string' ? message : text.slice(0, 200)));
            return;
          }
          resolve(body as T);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e: NodeJS.ErrnoException) =>
      reject(new EngineUnreachableError(socketPath, causeOf(e, socketPath))),
    );
    req.end();
  });
}
