import { createServer, connect, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { createNodeKeyAndCsr, identityOf, RootCA } from './authority';
import { caDigest, formatJoinToken, newSecret, parseJoinToken, secretMatches } from './tokens';

describe('join tokens', () => {
  test('SWMTKN-1-<digest>-<secret> round trip, and the digest pins the CA', async () => {
    const ca = await RootCA.create();
    const secret = newSecret();
    const token = formatJoinToken(ca.certDer, secret);
    expect(token).toMatch(/^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/);
    const parsed = parseJoinToken(token);
    expect(parsed.caDigest).toBe(caDigest(ca.certDer));
    expect(secretMatches(parsed.secret, secret)).toBe(true);
    const other = await RootCA.create();
    expect(parsed.caDigest).not.toBe(caDigest(other.certDer));
  });

  test('a malformed token is refused with what to do', () => {
    expect(() => parseJoinToken('SWMTKN-1-abc')).toThrow(
      /invalid join token: expected SWMTKN-1-<digest>-<secret>; copy it again/,
    );
  });
});

describe('root CA', () => {
  test('issues node certificates with CN=node ID, OU=role, O=cluster ID', async () => {
    const ca = await RootCA.create();
    const { csrPem } = await createNodeKeyAndCsr();
    const cert = await ca.issue(csrPem, { nodeId: 'node1', role: 'swarm-worker', clusterId: 'clu' });
    expect(identityOf(cert)).toMatchObject({ nodeId: 'node1', role: 'swarm-worker', clusterId: 'clu' });
    const reloaded = await RootCA.load(ca.certPem, ca.keyPem);
    expect(reloaded.certPem).toBe(ca.certPem);
  });

  test('certificates work for mutual TLS in Node, and a foreign CA is refused', async () => {
    const ca = await RootCA.create();
    const mk = async (nodeId: string, c = ca) => {
      const { keyPem, csrPem } = await createNodeKeyAndCsr();
      return { key: keyPem, cert: await c.issue(csrPem, { nodeId, role: 'swarm-manager', clusterId: 'clu' }) };
    };
    const server = await mk('mgr');
    const client = await mk('wrk');
    const srv = createServer(
      { ...server, ca: ca.certPem, requestCert: true, rejectUnauthorized: true },
      (s: TLSSocket) => {
        s.end(identityOf(s.getPeerCertificate().raw).nodeId);
      },
    );
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    const talk = (creds: { key: string; cert: string }) =>
      new Promise<string>((resolve, reject) => {
        const s = connect(
          { host: '127.0.0.1', port, ...creds, ca: ca.certPem, servername: 'swarm-node' },
          () => undefined,
        );
        let out = '';
        s.on('data', (d) => (out += d));
        s.on('end', () => resolve(out));
        s.on('error', reject);
      });
    try {
      expect(await talk(client)).toBe('wrk');
      const foreign = await mk('evil', await RootCA.create());
      // TLS 1.3 reports the server's refusal after the client's handshake: either way, no answer.
      expect(await talk(foreign).catch(() => 'refused')).not.toBe('evil');
    } finally {
      srv.close();
    }
  });
});
