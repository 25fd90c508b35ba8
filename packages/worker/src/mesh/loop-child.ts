// Entry point of an accept-loop child process (forked by RoutingMesh). It only proxies: every
// decision comes from the daemon over IPC, and it exits when the daemon goes away.
import { AcceptLoop } from './accept-loop';
import type { FromLoop, ToLoop } from './protocol';

const loop = new AcceptLoop(process.argv[2] === 'sockets' ? 'sockets' : 'handles');

function send(msg: FromLoop): void {
  if (process.connected) process.send?.(msg);
}

process.on('message', (msg: ToLoop, handle?: unknown) => {
  void Promise.resolve(loop.apply(msg, handle)).then(() => {
    if (msg.op === 'stats') send({ op: 'stats', seq: msg.seq, pools: loop.stats() });
    else send({ op: 'ack', seq: msg.seq });
  });
});
// A socket error that escaped a handler must not take the loop down with every connection on it.
process.on('uncaughtException', (e) =>
  send({ op: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
);
process.on('disconnect', () => process.exit(0));
send({ op: 'ready' });
