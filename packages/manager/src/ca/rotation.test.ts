// Root CA rotation: the cross-signed chain in real TLS handshakes, the pure reconciler, the
// requests `swarm update` can make, and the join token digest that follows the root.
import { X509Certificate } from 'node:crypto';
import { connect, createServer, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeKeyAndCsr, identityOf, RootCA } from './authority';
import { applyRotationRequest } from './rotate';
import {
  caStateOf,
  caStateData,
  finishRotation,
  needsReissue,
  reconcileRotation,
  requestedRotation,
  signer,
  swarmTlsInfo,
  trustBundle,
  type CaState,
} from './rotation';
import { issuerInfoOfRoot } from './tls-info';
import { formatJoinToken, parseJoinToken, caDigest } from './tokens';

async function rotating(): Promise<{ old: RootCA; s: CaState; next: RootCA }> {
  const old = await RootCA.create();
  const s = await applyRotationRequest({ caCertPem: old.certPem, caKeyPem: old.keyPem }, { kind: 'generate' }, 1);
  return { old, s, next: await RootCA.load(s.rotation!.caCertPem, s.rotation!.caKeyPem) };
}

async function leaf(s: CaState, nodeId: string): Promise<{ key: string; cert: string }> {
  const sign = signer(s);
  const ca = await RootCA.load(sign.certPem, sign.keyPem);
  const { keyPem, csrPem } = await createNodeKeyAndCsr();
  const cert = await ca.issue(
    csrPem,
    { nodeId, role: 'swarm-worker', clusterId: 'clu' },
    { intermediatePem: sign.intermediatePem },
  );
  return { key: keyPem, cert };
}

/** One mutual-TLS exchange: the server answers with the client's node ID; rejects when either side refuses. */
async function handshake(
  server: { key: string; cert: string; ca: string },
  client: { key: string; cert: string; ca: string },
): Promise<string> {
  const srv = createServer({ ...server, requestCert: true, rejectUnauthorized: true }, (s: TLSSocket) =>
    s.end(identityOf(s.getPeerCertificate().raw).nodeId),
  );
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  try {
    return await new Promise<string>((resolve, reject) => {
      const s = connect({
        host: '127.0.0.1',
        port: (srv.address() as AddressInfo).port,
        ...client,
        servername: 'swarm-node',
      });
      let out = '';
      s.on('data', (d) => (out += d));
      s.on('end', () => (out ? resolve(out) : reject(new Error('closed without an answer'))));
      s.on('error', reject);
    });
  } finally {
    srv.close();
  }
}

describe('cross-signed root rotation', () => {
  test('a certificate from the new root chains to the old root through the cross-signed certificate', async () => {
    const { old, s, next } = await rotating();
    const chain = (await leaf(s, 'n1')).cert;
    const [leafCert, cross] = chain
      .match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!
      .map((p) => new X509Certificate(p));
    const oldCert = new X509Certificate(old.certPem);
    const newCert = new X509Certificate(next.certPem);
    expect(cross!.subject).toBe(newCert.subject);
    expect(cross!.issuer).toBe(oldCert.subject);
    expect(cross!.verify(oldCert.publicKey)).toBe(true);
    expect(leafCert!.verify(cross!.publicKey)).toBe(true);
    expect(leafCert!.verify(newCert.publicKey)).toBe(true);
    expect(leafCert!.verify(oldCert.publicKey)).toBe(false);
    expect(newCert.subject).not.toBe(oldCert.subject);
  });

  test('TLS: old-root-only, both-roots and new-root-only peers all accept a new certificate', async () => {
    const { old, s, next } = await rotating();
    const fresh = await leaf(s, 'fresh');
    const server = { ...(await leaf(s, 'srv')), ca: trustBundle(s) };
    const oldLeaf = await leaf({ caCertPem: old.certPem, caKeyPem: old.keyPem }, 'stale');
    // a node that has not heard of the rotation yet trusts only the old root
    expect(await handshake({ ...server }, { ...fresh, ca: old.certPem })).toBe('fresh');
    expect(await handshake({ ...server, ca: old.certPem }, { ...fresh, ca: old.certPem })).toBe('fresh');
    // a node still on an old certificate is accepted while both roots are trusted
    expect(await handshake(server, { ...oldLeaf, ca: trustBundle(s) })).toBe('stale');
    // after the rotation: trust is the new root alone, and a certificate issued during it still works
    expect(await handshake({ ...server, ca: next.certPem }, { ...fresh, ca: next.certPem })).toBe('fresh');
    // ... while one from the old root no longer does
    await expect(handshake({ ...server, ca: next.certPem }, { ...oldLeaf, ca: next.certPem })).rejects.toThrow();
  });

  test('an OpenSSL client that trusts only the old root verifies the new chain', async () => {
    const { old, s } = await rotating();
    const dir = mkdtempSync(join(tmpdir(), 'ca-rot-'));
    try {
      const chain = (await leaf(s, 'n2')).cert;
      const parts = chain.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!;
      const write = (name: string, text: string) => {
        writeFileSync(join(dir, name), text);
        return join(dir, name);
      };
      const out = execFileSync('openssl', [
        'verify',
        '-CAfile',
        write('old.pem', old.certPem),
        '-untrusted',
        write('cross.pem', parts[1]!),
        write('leaf.pem', parts[0]!),
      ]).toString();
      expect(out).toMatch(/OK/);
      expect(readFileSync(join(dir, 'leaf.pem'), 'utf8')).toContain('BEGIN CERTIFICATE');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('rotation reconciler (pure)', () => {
  test('reissue for every node not on the new root; finish once none is left', async () => {
    const { old, s, next } = await rotating();
    const onNew = { TrustRoot: trustBundle(s), ...issuerInfoOfRoot(next.certPem) };
    const onOld = { TrustRoot: old.certPem, ...issuerInfoOfRoot(old.certPem) };
    expect(reconcileRotation(s, [{ id: 'a', tlsInfo: onNew }, { id: 'b', tlsInfo: onOld }, { id: 'c' }])).toEqual({
      reissue: ['b', 'c'],
      finish: false,
    });
    expect(
      reconcileRotation(s, [
        { id: 'a', tlsInfo: onNew },
        { id: 'b', tlsInfo: onNew },
      ]),
    ).toEqual({
      reissue: [],
      finish: true,
    });
    // no rotation: nothing to do, whatever the nodes report
    const plain = finishRotation(s);
    expect(reconcileRotation(plain, [{ id: 'b', tlsInfo: onOld }])).toEqual({ reissue: [], finish: false });
    expect(needsReissue(s, onOld)).toBe(true);
    expect(needsReissue(s, onNew)).toBe(false);
  });

  test('finishing drops the old root: trust, signer, TLSInfo and the join tokens follow the new root', async () => {
    const { old, s, next } = await rotating();
    const token = (st: CaState) => formatJoinToken(new X509Certificate(st.caCertPem).raw, 'a'.repeat(25));
    expect(swarmTlsInfo(s)).toEqual({ TrustRoot: old.certPem, ...issuerInfoOfRoot(next.certPem) });
    expect(parseJoinToken(token(s)).caDigest).toBe(caDigest(old.certDer));
    const done = finishRotation(s);
    expect(done.rotation).toBeUndefined();
    expect(trustBundle(done)).toBe(next.certPem);
    expect(signer(done)).toEqual({ certPem: next.certPem, keyPem: next.keyPem });
    expect(swarmTlsInfo(done)).toEqual({ TrustRoot: next.certPem, ...issuerInfoOfRoot(next.certPem) });
    expect(parseJoinToken(token(done)).caDigest).toBe(caDigest(next.certDer));
    expect(token(done).slice(-25)).toBe(token(s).slice(-25));
    // the cluster object's Data round-trips
    expect(caStateOf({ ...caStateData(s), workerSecret: 'w' })).toEqual(s);
  });
});

describe('what swarm update asks of the CA', () => {
  const base = async () => {
    const r = await RootCA.create();
    return { r, s: { caCertPem: r.certPem, caKeyPem: r.keyPem, lastForcedRotation: 1 } as CaState };
  };

  test('ForceRotate differing from the last forced rotation generates a new root', async () => {
    const { s } = await base();
    expect(requestedRotation(s, { ForceRotate: 1 })).toEqual({ kind: 'none' });
    expect(requestedRotation(s, { ForceRotate: 2 })).toEqual({ kind: 'generate' });
    expect(requestedRotation(s, undefined)).toEqual({ kind: 'none' });
  });

  test("a given certificate: its key is needed; the current root aborts a rotation; the rotation's target is no change", async () => {
    const { r, s } = await base();
    const other = await RootCA.create({ name: 'CN=my-ca' });
    expect(() => requestedRotation(s, { SigningCAKey: other.keyPem })).toThrow(
      'if a signing CA key is provided, the signing CA cert must also be provided',
    );
    expect(() => requestedRotation(s, { SigningCACert: other.certPem })).toThrow(/external CA/);
    expect(() => requestedRotation(s, { ExternalCAs: [{ URL: 'https://x' }] })).toThrow(/not supported/);
    expect(() => requestedRotation(s, { SigningCACert: `${other.certPem}\n${r.certPem}` })).toThrow(
      'the desired CA certificate cannot contain multiple certificates',
    );
    expect(requestedRotation(s, { SigningCACert: r.certPem })).toEqual({ kind: 'none' });
    const req = requestedRotation(s, { SigningCACert: other.certPem, SigningCAKey: other.keyPem });
    expect(req.kind).toBe('given');
    const rot = await applyRotationRequest(s, req, 1);
    expect(rot.rotation!.caCertPem).toBe(other.certPem.trim());
    expect(requestedRotation(rot, { SigningCACert: other.certPem })).toEqual({ kind: 'none' });
    expect(requestedRotation(rot, { SigningCACert: r.certPem })).toEqual({ kind: 'abort' });
    expect((await applyRotationRequest(rot, { kind: 'abort' }, 1)).rotation).toBeUndefined();
  });

  test("the user's root is checked: its key must match, and a name like the current root's is refused", async () => {
    const { s } = await base();
    const a = await RootCA.create({ name: 'CN=my-ca' });
    const b = await RootCA.create({ name: 'CN=my-ca' });
    await expect(applyRotationRequest(s, { kind: 'given', certPem: a.certPem, keyPem: b.keyPem })).rejects.toThrow(
      'the CA key does not match the CA certificate',
    );
    const same = await RootCA.create();
    await expect(
      applyRotationRequest(s, { kind: 'given', certPem: same.certPem, keyPem: same.keyPem }),
    ).rejects.toThrow(/subject other than the current root's/);
  });
});
