import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { CertificateRequestError } from './errors';

// Node's WebCrypto; the x509 library's typings name the DOM's Crypto types, which equal these.
type Key = webcrypto.CryptoKey;
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY = 24 * 3600 * 1000;

export type NodeRoleOU = 'swarm-manager' | 'swarm-worker';

export interface NodeIdentity {
  nodeId: string;
  role: NodeRoleOU;
  clusterId: string;
}

async function toPkcs8Pem(key: Key): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function importKey(pem: string): Promise<Key> {
  return webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(pem), ALG, true, ['sign']);
}

function serial(): string {
  return Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
    .toString('hex')
    .replace(/^[89a-f]/, '1');
}

/** The cluster's root CA: made at `swarm init`, signs every node certificate (ECDSA P-256). */
export class RootCA {
  private constructor(
    readonly certPem: string,
    readonly keyPem: string,
    private readonly cert: x509.X509Certificate,
    private readonly key: Key,
  ) {}

  /**
   * A new self-signed root. `name` defaults to CN=swarm-ca; a rotation's new root gets a name of
   * its own, so that a chain builder that trusts both roots never mistakes one for the other.
   */
  static async create(opts: { years?: number; name?: string } = {}): Promise<RootCA> {
    const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
    const now = Date.now();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: opts.name ?? 'CN=swarm-ca',
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + (opts.years ?? 20) * 365 * DAY),
      keys: keys as never,
      signingAlgorithm: ALG,
      extensions: [...caExtensions(), await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as never)],
    });
    return new RootCA(cert.toString('pem'), await toPkcs8Pem(keys.privateKey), cert, keys.privateKey);
  }

  static async load(certPem: string, keyPem: string): Promise<RootCA> {
    return new RootCA(certPem, keyPem, new x509.X509Certificate(certPem), await importKey(keyPem));
  }

  get certDer(): Uint8Array {
    return new Uint8Array(this.cert.rawData);
  }

  /** The subject as DER (docker's TLSInfo.CertIssuerSubject of the certificates this root signs). */
  get subjectDer(): Uint8Array {
    return new Uint8Array(this.cert.subjectName.toArrayBuffer());
  }

  /** The public key as SubjectPublicKeyInfo DER (docker's TLSInfo.CertIssuerPublicKey). */
  get publicKeyDer(): Uint8Array {
    return new Uint8Array(this.cert.publicKey.rawData);
  }

  /**
   * Cross-signs `next` (a root rotation's new root) with this root's key: a CA certificate with
   * the new root's subject and public key, issued by this root. A node that trusts only this
   * root accepts a certificate signed by the new key when it comes with this intermediate.
   */
  async crossSign(next: RootCA): Promise<string> {
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: next.cert.subjectName,
      issuer: this.cert.subjectName,
      notBefore: next.cert.notBefore,
      notAfter: new Date(Math.min(next.cert.notAfter.getTime(), this.cert.notAfter.getTime())),
      publicKey: next.cert.publicKey,
      signingKey: this.key as never,
      signingAlgorithm: ALG,
      extensions: [
        ...caExtensions(),
        await x509.SubjectKeyIdentifierExtension.create(next.cert.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(this.cert.publicKey),
      ],
    });
    return cert.toString('pem');
  }

  /** Signs a node's CSR; the identity comes from the CA's decision, never from the CSR's subject. */
  async issue(
    csrPem: string,
    id: NodeIdentity,
    opts: { days?: number; validityMs?: number; intermediatePem?: string } = {},
  ): Promise<string> {
    let csr: x509.Pkcs10CertificateRequest;
    try {
      csr = new x509.Pkcs10CertificateRequest(csrPem);
    } catch (e) {
      throw new CertificateRequestError(`malformed certificate request: ${(e as Error).message}`);
    }
    if (!(await csr.verify())) throw new CertificateRequestError('certificate request signature does not verify');
    const now = Date.now();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${id.nodeId}, OU=${id.role}, O=${id.clusterId}`,
      issuer: this.cert.subjectName,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + (opts.validityMs ?? (opts.days ?? 90) * DAY)),
      publicKey: csr.publicKey,
      signingKey: this.key as never,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        await x509.AuthorityKeyIdentifierExtension.create(this.cert.publicKey),
        // Nodes dial each other by address; identity is checked from CN/OU/O, so the SAN is fixed.
        new x509.SubjectAlternativeNameExtension([
          { type: 'dns', value: 'swarm-node' },
          { type: 'dns', value: id.nodeId },
        ]),
      ],
    });
    // During a root rotation the chain carries the cross-signed new root: nodes that trust only
    // the old root still accept it.
    return opts.intermediatePem ? `${cert.toString('pem')}\n${opts.intermediatePem.trim()}\n` : cert.toString('pem');
  }
}

function caExtensions(): x509.Extension[] {
  return [
    new x509.BasicConstraintsExtension(true, 1, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
  ];
}

/** A fresh node key and a CSR for it (the private key never leaves the node). */
export async function createNodeKeyAndCsr(): Promise<{ keyPem: string; csrPem: string }> {
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: 'CN=pending-node',
    keys: keys as never,
    signingAlgorithm: ALG,
  });
  return { keyPem: await toPkcs8Pem(keys.privateKey), csrPem: csr.toString('pem') };
}

/** What a peer's certificate says about it: node ID, role and cluster. */
export function identityOf(certPemOrDer: string | Uint8Array): NodeIdentity & { notAfter: Date } {
  const cert = new x509.X509Certificate(
    typeof certPemOrDer === 'string' ? certPemOrDer : (new Uint8Array(certPemOrDer).buffer as ArrayBuffer),
  );
  const name = cert.subjectName;
  const get = (t: string) => name.getField(t)[0] ?? '';
  return { nodeId: get('CN'), role: get('OU') as NodeRoleOU, clusterId: get('O'), notAfter: cert.notAfter };
}
