// Calls to one peer node: a client per address, promise/async-iterable wrappers around the
// generated stubs, and gRPC failures turned into plain messages.
import * as grpc from '@grpc/grpc-js';
import { channelOptions } from '@flotilla/manager';
import { peerServices, type WireLogLine, type WireLogsRequest, type WireResolved } from './proto';

type Stub = grpc.Client & {
  ResolveImage(
    req: { ref: string },
    opts: grpc.CallOptions,
    cb: (e: grpc.ServiceError | null, r?: WireResolved) => void,
  ): grpc.ClientUnaryCall;
  FetchBlob(req: { digest: string }, opts?: grpc.CallOptions): grpc.ClientReadableStream<{ data: Buffer }>;
  TaskLogs(req: WireLogsRequest, opts?: grpc.CallOptions): grpc.ClientReadableStream<WireLogLine>;
};

export class PeerClient {
  private readonly stub: Stub;
  constructor(
    readonly addr: string,
    credentials: grpc.ChannelCredentials,
  ) {
    // HTTP/2's default 64 KiB window stalls a blob stream on every round trip; a wide one lets a
    // layer flow (an 80 MiB blob on loopback with TLS: 0.94 s -> 0.43 s).
    this.stub = new (peerServices().Peer)(addr, credentials, {
      ...channelOptions,
      'grpc-node.flow_control_window': 16 << 20,
    }) as unknown as Stub;
  }

  resolveImage(ref: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<WireResolved> {
    return new Promise((resolve, reject) => {
      const call = this.stub.ResolveImage({ ref }, { deadline: Date.now() + (opts.timeoutMs ?? 10_000) }, (e, r) =>
        e ? reject(e) : resolve(r!),
      );
      opts.signal?.addEventListener('abort', () => call.cancel(), { once: true });
    });
  }

  /**
   * A blob's bytes as they arrive. Fails when the peer ends the stream with an error, sends more
   * than `maxBytes`, or sends nothing for `idleMs` (a peer that hangs is as good as dead).
   */
  async *fetchBlob(
    digest: string,
    opts: { maxBytes: number; idleMs?: number; signal?: AbortSignal },
  ): AsyncGenerator<Buffer> {
    const call = this.stub.FetchBlob({ digest });
    yield* guarded(call, opts.signal, opts.idleMs ?? 30_000, (m, total) => {
      if (total > opts.maxBytes)
        throw new Error(`peer ${this.addr} sent more than the ${opts.maxBytes} bytes of blob ${digest}`);
      return m.data;
    });
  }

  /** One container's log entries from the peer; ends with the logs (or never, with follow). */
  async *taskLogs(req: WireLogsRequest, opts: { signal?: AbortSignal } = {}): AsyncGenerator<WireLogLine> {
    const call = this.stub.TaskLogs(req);
    yield* guarded(call, opts.signal, 0, (m) => m);
  }

  close(): void {
    this.stub.close();
  }
}

/** Iterate a server stream, cancelling it on abort, on idle timeout, and when the consumer stops early. */
async function* guarded<M, T>(
  call: grpc.ClientReadableStream<M>,
  signal: AbortSignal | undefined,
  idleMs: number,
  map: (m: M, total: number) => T,
): AsyncGenerator<T> {
  let timer: NodeJS.Timeout | undefined;
  let idle = false;
  const arm = () => {
    if (!idleMs) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      idle = true;
      call.cancel();
    }, idleMs);
  };
  const onAbort = () => call.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  let total = 0;
  try {
    arm();
    for await (const m of call as AsyncIterable<M>) {
      arm();
      total += (m as { data?: Buffer }).data?.length ?? 0;
      yield map(m, total);
    }
  } catch (e) {
    if (idle) throw new Error(`peer sent nothing for ${idleMs / 1000} s`);
    throw e;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    call.cancel();
  }
}

/** A gRPC failure as one line: the peer's own message, or what went wrong reaching it. */
export function describeRpcError(e: unknown): string {
  const err = e as Partial<grpc.ServiceError>;
  if (typeof err.code === 'number') return err.details || err.message || grpc.status[err.code];
  return (e as Error).message ?? String(e);
}

export function isUnreachable(e: unknown): boolean {
  const c = (e as Partial<grpc.ServiceError>).code;
  return c === grpc.status.UNAVAILABLE || c === grpc.status.DEADLINE_EXCEEDED;
}
