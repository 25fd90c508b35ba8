// `service logs` across nodes: each task's lines come from the node it ran on (this node's
// containers directly, other nodes through their Peer.TaskLogs), merged as they arrive and
// prefixed like docker's `web.1.<task>@<node>    | `. A node that cannot be reached is skipped
// with a warning line on stderr, as docker prints "error from daemon in stream".
import type * as grpc from '@grpc/grpc-js';
import type { ContainerLogsOptions as LogsOptions, LogEntry } from '@flotilla/engine-core';
import { describeRpcError, isUnreachable, PeerClient } from './client';

export interface LogTask {
  taskId: string;
  nodeId: string;
  /** Known from the task's status; remote nodes can also find it by the task ID. */
  containerId?: string;
  /** Shown before every line, e.g. `web.1.abcdef123456@node1    | `. */
  prefix: string;
  /** For the warning when the node cannot be reached. */
  nodeName: string;
}

export interface ServiceLogsSources {
  localNodeId: string;
  /** This node's container logs (ContainerManager.logs). */
  local: (containerId: string, opts: LogsOptions) => Promise<AsyncIterable<LogEntry>>;
  /** host:port of a node's Peer service, or undefined when it is not known. */
  nodeAddr: (nodeId: string) => string | undefined;
  /** This node's certificate for calls to other nodes; without one remote tasks are skipped. */
  credentials?: grpc.ChannelCredentials;
  /**
   * With follow: the service's tasks now, asked every TASKS_POLL_MS, so that tasks that get a
   * container later (a scale up, an update, a service whose tasks were still pending) are followed
   * too, and the stream waits for them, as docker's `service logs -f` does.
   */
  tasks?: () => LogTask[];
}

const TASKS_POLL_MS = 500;

export interface ServiceLogsOptions {
  follow?: boolean;
  tail?: number;
  timestamps?: boolean;
  /** Unix seconds. */
  since?: number;
  /** `service logs --raw`: no `web.1.<task>@<node> | ` prefix. */
  raw?: boolean;
  /** `--no-task-ids`: `web.1@<node> | `. */
  noTaskIds?: boolean;
  /** `--no-trunc`: the whole task ID in the prefix. */
  noTrunc?: boolean;
  signal?: AbortSignal;
}

export interface ServiceLogLine {
  stream: 'stdout' | 'stderr';
  line: string;
}

export async function* serviceLogLines(
  tasks: LogTask[],
  opts: ServiceLogsOptions,
  src: ServiceLogsSources,
): AsyncGenerator<ServiceLogLine> {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const clients = new Map<string, PeerClient>();
  const queue: ServiceLogLine[] = [];
  let wake: (() => void) | null = null;
  const push = (l: ServiceLogLine) => {
    queue.push(l);
    wake?.();
  };
  const warned = new Set<string>();
  const warn = (t: LogTask, why: string) => {
    if (warned.has(t.nodeId)) return;
    warned.add(t.nodeId);
    push({
      stream: 'stderr',
      line: `error from daemon in stream: Error grabbing logs: node ${t.nodeName} is not available, its tasks' logs are skipped (${why})\n`,
    });
  };

  const entries = (
    t: LogTask,
  ): AsyncIterable<{ stream: string; time: string; line: string }> | Promise<AsyncIterable<LogEntry>> | null => {
    if (t.nodeId === src.localNodeId) {
      if (!t.containerId) return null;
      return src.local(t.containerId, {
        stdout: true,
        stderr: true,
        follow: opts.follow,
        tail: opts.tail,
        since: opts.since,
        signal: stop.signal,
      });
    }
    const addr = src.nodeAddr(t.nodeId);
    if (!addr || !src.credentials) {
      warn(t, addr ? 'this node has no certificate to reach it' : 'its address is unknown');
      return null;
    }
    let c = clients.get(addr);
    if (!c) clients.set(addr, (c = new PeerClient(addr, src.credentials)));
    return c.taskLogs(
      {
        taskId: t.taskId,
        containerId: t.containerId ?? '',
        follow: !!opts.follow,
        tail: opts.tail ?? -1,
        since: opts.since ?? 0,
      },
      { signal: stop.signal },
    );
  };

  let open = 0;
  const pump = async (t: LogTask) => {
    try {
      const source = await entries(t);
      if (!source) return;
      for await (const e of source) {
        const line = e.line.endsWith('\n') ? e.line : `${e.line}\n`;
        push({
          stream: e.stream === 'stderr' ? 'stderr' : 'stdout',
          line: `${t.prefix}${opts.timestamps ? `${e.time} ` : ''}${line}`,
        });
      }
    } catch (e) {
      if (stop.signal.aborted) return;
      // A task whose container is gone (removed with old task history) has nothing to show.
      if (t.nodeId !== src.localNodeId && isUnreachable(e)) warn(t, describeRpcError(e));
    } finally {
      open--;
      wake?.();
    }
  };
  const started = new Set<string>();
  const start = (t: LogTask) => {
    if (started.has(t.taskId)) return;
    started.add(t.taskId);
    open++;
    void pump(t);
  };
  for (const t of tasks) start(t);
  const following = !!opts.follow && !!src.tasks;
  const poll = following
    ? setInterval(() => {
        try {
          for (const t of src.tasks!()) start(t);
        } catch {
          // the service is gone or no leader answers now: keep following what is open
        }
      }, TASKS_POLL_MS)
    : null;
  stop.signal.addEventListener('abort', () => wake?.(), { once: true });
  try {
    while ((following && !stop.signal.aborted) || open > 0 || queue.length) {
      if (queue.length) {
        yield queue.shift()!;
        continue;
      }
      await new Promise<void>((r) => (wake = r));
      wake = null;
    }
  } finally {
    if (poll) clearInterval(poll);
    stop.abort();
    opts.signal?.removeEventListener('abort', onAbort);
    for (const c of clients.values()) c.close();
  }
}

/** Docker's line prefix for a task's log line: `web.1.<task>@<node>    | ` (per the options). */
export function taskLogPrefix(
  serviceName: string,
  task: { ID: string; Slot?: number; NodeID?: string },
  nodeName: string,
  opts: Pick<ServiceLogsOptions, 'raw' | 'noTaskIds' | 'noTrunc'> = {},
): string {
  if (opts.raw) return '';
  const id = opts.noTaskIds ? '' : `.${opts.noTrunc ? task.ID : task.ID.slice(0, 12)}`;
  return `${serviceName}.${task.Slot ?? task.NodeID}${id}@${nodeName}    | `;
}
