// Frames of a multiplexed mesh tunnel: many proxied connections over one mutual-TLS connection
// between two nodes, so that a new client connection costs a frame, not a TLS handshake.
//
//   preface (client, once): "FMX1"
//   frame: u8 type | u32 stream ID | u32 payload length | payload
// Pure: no sockets here.

export const MUX_PREFACE = Buffer.from('FMX1', 'latin1');
export const FRAME_HEADER = 9;
/** Larger DATA payloads are split by the sender; a bigger length is a protocol error. */
export const MAX_PAYLOAD = 256 * 1024;

export const FrameType = {
  /** client -> server: payload = a tunnel request (tunnel-header.ts encodeRequest). */
  OPEN: 1,
  /** server -> client: payload = one TunnelStatus byte. */
  RESULT: 2,
  DATA: 3,
  /** The sender will send no more DATA on this stream (half-close). */
  FIN: 4,
  /** The stream is aborted; its socket is reset. */
  RST: 5,
  /** payload = u32: the receiver has passed on this many more bytes; the sender may send them. */
  CREDIT: 6,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export interface Frame {
  type: FrameType;
  stream: number;
  payload: Buffer;
}

export class MuxProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MuxProtocolError';
  }
}

export function encodeFrame(type: FrameType, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
  b[0] = type;
  b.writeUInt32BE(stream >>> 0, 1);
  b.writeUInt32BE(payload.length, 5);
  payload.copy(b, FRAME_HEADER);
  return b;
}

export function encodeCredit(stream: number, bytes: number): Buffer {
  const p = Buffer.allocUnsafe(4);
  p.writeUInt32BE(bytes >>> 0, 0);
  return encodeFrame(FrameType.CREDIT, stream, p);
}

/** Cuts a byte stream into frames, whatever the chunk boundaries. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  /** The frames complete with this chunk; throws MuxProtocolError on a malformed frame. */
  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Frame[] = [];
    let at = 0;
    while (this.buf.length - at >= FRAME_HEADER) {
      const type = this.buf[at] as number;
      if (type < FrameType.OPEN || type > FrameType.CREDIT)
        throw new MuxProtocolError(`unknown mux frame type ${type}`);
      const len = this.buf.readUInt32BE(at + 5);
      if (len > MAX_PAYLOAD) throw new MuxProtocolError(`mux frame of ${len} bytes is over the limit`);
      if (this.buf.length - at < FRAME_HEADER + len) break;
      // A view, no copy: socket chunks are fresh buffers that nothing writes to afterwards.
      out.push({
        type: type as FrameType,
        stream: this.buf.readUInt32BE(at + 1),
        payload: this.buf.subarray(at + FRAME_HEADER, at + FRAME_HEADER + len),
      });
      at += FRAME_HEADER + len;
    }
    this.buf = at === this.buf.length ? Buffer.alloc(0) : this.buf.subarray(at);
    return out;
  }
}
