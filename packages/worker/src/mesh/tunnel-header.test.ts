import {
  decodeReply,
  decodeRequest,
  encodeReply,
  encodeRequest,
  MAX_REQUEST_BYTES,
  TunnelHeaderError,
  TunnelStatus,
} from './tunnel-header';

describe('mesh tunnel header', () => {
  it('a request round-trips, and the bytes after it are handed back untouched', () => {
    const wire = Buffer.concat([
      encodeRequest({ taskId: 'x2k9w0q1c7n3m5b8v4z6a1s2d', port: 8080 }),
      Buffer.from('GET / HTTP/1.1\r\n'),
    ]);
    const r = decodeRequest(wire);
    expect(r).not.toBe('more');
    if (r === 'more') return;
    expect(r.request).toEqual({ taskId: 'x2k9w0q1c7n3m5b8v4z6a1s2d', port: 8080 });
    expect(r.rest.toString()).toBe('GET / HTTP/1.1\r\n');
  });

  it('asks for more bytes at every split point of a request, and decodes once it is whole', () => {
    const wire = encodeRequest({ taskId: 'task1', port: 80 });
    for (let i = 0; i < wire.length; i++) expect(decodeRequest(wire.subarray(0, i))).toBe('more');
    expect(decodeRequest(wire)).toMatchObject({ request: { taskId: 'task1', port: 80 } });
  });

  it('rejects what is not a tunnel request as soon as the first bytes show it', () => {
    expect(() => decodeRequest(Buffer.from('G'))).toThrow(TunnelHeaderError);
    expect(() => decodeRequest(Buffer.from('GET / HTTP/1.1'))).toThrow('not a mesh tunnel request');
    expect(() => decodeRequest(Buffer.from([0x46, 0x4d, 0x54, 0x31, 0]))).toThrow('without a task ID');
    const zeroPort = encodeRequest({ taskId: 't', port: 1 });
    zeroPort.writeUInt16BE(0, zeroPort.length - 2);
    expect(() => decodeRequest(zeroPort)).toThrow('port 0');
    const badId = encodeRequest({ taskId: 'tt', port: 1 });
    badId[5] = 0x0a;
    expect(() => decodeRequest(badId)).toThrow('invalid task ID');
  });

  it('refuses to encode a task ID or port the receiver could not take', () => {
    expect(() => encodeRequest({ taskId: '', port: 80 })).toThrow(TunnelHeaderError);
    expect(() => encodeRequest({ taskId: 'a b', port: 80 })).toThrow(TunnelHeaderError);
    expect(() => encodeRequest({ taskId: 'x'.repeat(256), port: 80 })).toThrow(TunnelHeaderError);
    expect(() => encodeRequest({ taskId: 't', port: 0 })).toThrow('invalid port');
    expect(() => encodeRequest({ taskId: 't', port: 65536 })).toThrow('invalid port');
    expect(encodeRequest({ taskId: 'x'.repeat(255), port: 65535 }).length).toBe(MAX_REQUEST_BYTES);
  });

  it('a reply carries one status, then payload', () => {
    for (const status of Object.values(TunnelStatus))
      expect(decodeReply(encodeReply(status))).toEqual({ status, rest: Buffer.alloc(0) });
    expect(decodeReply(Buffer.alloc(0))).toBe('more');
    expect(decodeReply(encodeReply(TunnelStatus.OK).subarray(0, 1))).toBe('more');
    const r = decodeReply(Buffer.concat([encodeReply(TunnelStatus.OK), Buffer.from('HTTP/1.1 200')]));
    expect(r !== 'more' && r.rest.toString()).toBe('HTTP/1.1 200');
    expect(() => decodeReply(Buffer.from('HTTP'))).toThrow('not a mesh tunnel reply');
    expect(() => decodeReply(Buffer.from([0xf1, 99]))).toThrow('unknown mesh tunnel status 99');
  });
});
