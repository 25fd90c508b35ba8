// For the mesh's data-path tests: a large patterned payload sent through a proxy to an echo server
// by a client that stalls now and then, so that the proxy's writes back up (backpressure).
import net from 'node:net';

/** `size` bytes of a pattern that shows any byte lost, repeated or reordered. */
export function patternedPayload(size: number): Buffer {
  const payload = Buffer.alloc(size);
  for (let i = 0; i < payload.length; i += 4) payload.writeUInt32LE((i * 2654435761) >>> 0, i);
  return payload;
}

/** Sends `payload` to 127.0.0.1:`port` and reads the echo back slowly: every 4th chunk pauses 10 ms. */
export function echoThroughSlowReader(port: number, payload: Buffer): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const c = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const chunks: Buffer[] = [];
    let n = 0;
    c.on('error', reject);
    c.on('data', (d: Buffer) => {
      chunks.push(d);
      if ((n += 1) % 4 === 0) {
        c.pause();
        setTimeout(() => c.resume(), 10);
      }
    });
    c.on('end', () => resolve(Buffer.concat(chunks)));
    c.end(payload);
  });
}
