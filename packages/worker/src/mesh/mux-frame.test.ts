import {
  encodeCredit,
  encodeFrame,
  FRAME_HEADER,
  FrameReader,
  FrameType,
  MAX_PAYLOAD,
  MuxProtocolError,
} from './mux-frame';

describe('mux frames', () => {
  it('the reader cuts frames out of any chunking of the byte stream', () => {
    const wire = Buffer.concat([
      encodeFrame(FrameType.OPEN, 1, Buffer.from('req')),
      encodeFrame(FrameType.DATA, 3, Buffer.alloc(1000, 7)),
      encodeFrame(FrameType.FIN, 3),
      encodeCredit(5, 65536),
    ]);
    for (const size of [1, 2, 9, 10, 100, wire.length]) {
      const r = new FrameReader();
      const frames = [];
      for (let at = 0; at < wire.length; at += size) frames.push(...r.push(wire.subarray(at, at + size)));
      expect(frames.map((f) => [f.type, f.stream, f.payload.length])).toEqual([
        [FrameType.OPEN, 1, 3],
        [FrameType.DATA, 3, 1000],
        [FrameType.FIN, 3, 0],
        [FrameType.CREDIT, 5, 4],
      ]);
      expect(frames[3]!.payload.readUInt32BE(0)).toBe(65536);
      expect(frames[1]!.payload.every((b) => b === 7)).toBe(true);
    }
  });

  it('rejects an unknown frame type and an oversized frame before buffering it', () => {
    const bad = encodeFrame(FrameType.DATA, 1);
    bad[0] = 42;
    expect(() => new FrameReader().push(bad)).toThrow(MuxProtocolError);
    const huge = Buffer.alloc(FRAME_HEADER);
    huge[0] = FrameType.DATA;
    huge.writeUInt32BE(MAX_PAYLOAD + 1, 5);
    expect(() => new FrameReader().push(huge)).toThrow('over the limit');
  });
});
