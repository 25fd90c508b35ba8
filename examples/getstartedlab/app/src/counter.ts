// The visit counter: INCR on Redis, one attempt per request, never more than the timeout.
// ioredis by default retries and queues forever; the page must instead answer within ~2 s with
// the fallback text, so auto-reconnect, offline queue and per-request retries are all off, and a
// fresh connection is made on demand by the next request after a failure.
import { Redis } from 'ioredis';

export interface CounterOptions {
  host: string;
  port: number;
  timeoutMs: number;
  key?: string;
  /** Called when Redis becomes reachable or unreachable (not on every request: no log spam). */
  onStateChange?: (reachable: boolean, error?: Error) => void;
}

class DeadlineError extends Error {
  constructor(ms: number) {
    super(`Redis did not answer within ${ms} ms`);
    this.name = 'DeadlineError';
  }
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(ms)), ms);
  });
  // A late rejection of `work` after the deadline won must not become an unhandled rejection.
  work.catch(() => undefined);
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

export class VisitCounter {
  private client: Redis | undefined;
  private connecting: Promise<Redis> | undefined;
  private reachable: boolean | undefined;
  /** The socket-level cause (ENOTFOUND, ECONNREFUSED...), more telling than "Connection is closed". */
  private lastSocketError: Error | undefined;
  private readonly key: string;

  constructor(private readonly options: CounterOptions) {
    this.key = options.key ?? 'counter';
  }

  /** The new count, or null when Redis cannot be reached. Never rejects. */
  async increment(): Promise<number | null> {
    try {
      const count = await withDeadline(this.incrOnce(), this.options.timeoutMs);
      this.setReachable(true);
      return count;
    } catch (error) {
      const cause = this.lastSocketError ?? (error instanceof Error ? error : new Error(String(error)));
      this.dropClient();
      this.setReachable(false, cause);
      return null;
    }
  }

  close(): void {
    this.dropClient();
  }

  private async incrOnce(): Promise<number> {
    const client = await this.readyClient();
    return client.incr(this.key);
  }

  private readyClient(): Promise<Redis> {
    if (this.client?.status === 'ready') return Promise.resolve(this.client);
    if (this.connecting) return this.connecting;
    this.dropClient();
    const { host, port, timeoutMs } = this.options;
    const client = new Redis({
      host,
      port,
      lazyConnect: true,
      connectTimeout: timeoutMs,
      commandTimeout: timeoutMs,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      enableReadyCheck: false,
      retryStrategy: () => null,
      reconnectOnError: () => false,
    });
    // Failures reach the caller as rejected commands; without a listener ioredis would print
    // "Unhandled error event" for each of them.
    client.on('error', (error: Error) => {
      this.lastSocketError = error;
    });
    this.client = client;
    const connecting = client.connect().then(() => client);
    this.connecting = connecting;
    const clear = (): void => {
      if (this.connecting === connecting) this.connecting = undefined;
    };
    connecting.then(clear, clear);
    return connecting;
  }

  private dropClient(): void {
    const client = this.client;
    this.client = undefined;
    this.connecting = undefined;
    client?.disconnect();
  }

  private setReachable(reachable: boolean, error?: Error): void {
    if (reachable) this.lastSocketError = undefined;
    if (this.reachable === reachable) return;
    this.reachable = reachable;
    this.options.onStateChange?.(reachable, error);
  }
}
