// The mesh tunnel's wire header (node to node, inside mutual TLS). The sending node names the
// task and its port; the receiving node answers with one status before any payload byte, so a
// replica that refuses costs the client nothing: the sender simply tries the next one.
//
//   request: "FMT1" | u8 task ID length | task ID (ASCII) | u16 port (big endian)
//   reply:   0xF1 | u8 status
// Pure: no sockets here.

const MAGIC = Buffer.from('FMT1', 'latin1');
const REPLY_MAGIC = 0xf1;
/** Task IDs are 25 characters today; 255 is the most the length byte can say. */
const MAX_TASK_ID = 255;

export const TunnelStatus = {
  /** Connected to the task: raw bytes follow both ways. */
  OK: 0,
  /** The task's node could not connect to it (refused, unreachable, timeout): try another replica. */
  REFUSED: 1,
  /** No such task running on that node with that port in its mesh view: try another replica. */
  UNKNOWN_TASK: 2,
  /** The request was not a tunnel header. */
  BAD_HEADER: 3,
} as const;
export type TunnelStatus = (typeof TunnelStatus)[keyof typeof TunnelStatus];

export interface TunnelRequest {
  taskId: string;
  port: number;
}

export class TunnelHeaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TunnelHeaderError';
  }
}

export function encodeRequest(r: TunnelRequest): Buffer {
  const id = Buffer.from(r.taskId, 'latin1');
  if (id.length === 0 || id.length > MAX_TASK_ID || !/^[\x21-\x7e]+$/.test(r.taskId))
    throw new TunnelHeaderError(`invalid task ID for a mesh tunnel: ${JSON.stringify(r.taskId)}`);
  if (!Number.isInteger(r.port) || r.port < 1 || r.port > 65535)
    throw new TunnelHeaderError(`invalid port for a mesh tunnel: ${r.port}`);
  const b = Buffer.allocUnsafe(MAGIC.length + 1 + id.length + 2);
  MAGIC.copy(b, 0);
  b[MAGIC.length] = id.length;
  id.copy(b, MAGIC.length + 1);
  b.writeUInt16BE(r.port, MAGIC.length + 1 + id.length);
  return b;
}

/**
 * Reads a request from the bytes received so far: 'more' until it is complete, then the request
 * and whatever followed it. Throws TunnelHeaderError as soon as the bytes cannot be a request.
 */
export function decodeRequest(buf: Buffer): 'more' | { request: TunnelRequest; rest: Buffer } {
  const magicSeen = Math.min(buf.length, MAGIC.length);
  if (!buf.subarray(0, magicSeen).equals(MAGIC.subarray(0, magicSeen)))
    throw new TunnelHeaderError('not a mesh tunnel request');
  if (buf.length < MAGIC.length + 1) return 'more';
  const idLen = buf[MAGIC.length] as number;
  if (idLen === 0) throw new TunnelHeaderError('mesh tunnel request without a task ID');
  const end = MAGIC.length + 1 + idLen + 2;
  if (buf.length < end) return 'more';
  const taskId = buf.toString('latin1', MAGIC.length + 1, MAGIC.length + 1 + idLen);
  if (!/^[\x21-\x7e]+$/.test(taskId)) throw new TunnelHeaderError('mesh tunnel request with an invalid task ID');
  const port = buf.readUInt16BE(end - 2);
  if (port === 0) throw new TunnelHeaderError('mesh tunnel request for port 0');
  return { request: { taskId, port }, rest: buf.subarray(end) };
}

/** The longest request a receiver needs to buffer before it can decide. */
export const MAX_REQUEST_BYTES = MAGIC.length + 1 + MAX_TASK_ID + 2;

export function encodeReply(status: TunnelStatus): Buffer {
  return Buffer.from([REPLY_MAGIC, status]);
}

/** 'more' until both reply bytes are in, then the status and the payload bytes that followed. */
export function decodeReply(buf: Buffer): 'more' | { status: TunnelStatus; rest: Buffer } {
  if (buf.length >= 1 && buf[0] !== REPLY_MAGIC) throw new TunnelHeaderError('not a mesh tunnel reply');
  if (buf.length < 2) return 'more';
  const status = buf[1] as number;
  if (!(Object.values(TunnelStatus) as number[]).includes(status))
    throw new TunnelHeaderError(`unknown mesh tunnel status ${status}`);
  return { status: status as TunnelStatus, rest: buf.subarray(2) };
}
