// Docker's TLSInfo (which root a certificate chains to) computed from PEMs, and PEM helpers.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

/** Docker's TLSInfo: the trusted root(s) as PEM, and the issuer of the node certificate (base64 DER). */
export interface TLSInfo {
  TrustRoot: string;
  CertIssuerSubject: string;
  CertIssuerPublicKey: string;
}

export type IssuerInfo = Pick<TLSInfo, 'CertIssuerSubject' | 'CertIssuerPublicKey'>;

const b64 = (a: ArrayBuffer) => Buffer.from(a).toString('base64');

/** Every certificate of a PEM bundle, each as its own PEM block. */
export function splitPems(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** The first certificate of a PEM bundle, as DER. */
export function pemToDer(pem: string): Uint8Array {
  const first = splitPems(pem)[0] ?? pem;
  return new Uint8Array(Buffer.from(first.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64'));
}

function parse(pemOrDer: string | Uint8Array): x509.X509Certificate {
  return new x509.X509Certificate(typeof pemOrDer === 'string' ? pemToDer(pemOrDer) : pemOrDer);
}

/** What a root signs as: its subject and public key (what docker compares node by node); empty if unreadable. */
export function issuerInfoOfRoot(rootPem: string): IssuerInfo {
  let cert: x509.X509Certificate;
  try {
    cert = parse(rootPem);
  } catch {
    return { CertIssuerSubject: '', CertIssuerPublicKey: '' };
  }
  return {
    CertIssuerSubject: b64(cert.subjectName.toArrayBuffer()),
    CertIssuerPublicKey: b64(cert.publicKey.rawData),
  };
}

/** The issuer subject (base64 DER) of a node certificate. */
export function issuerSubjectOf(leaf: string | Uint8Array): string {
  return b64(parse(leaf).issuerName.toArrayBuffer());
}

export function sameIssuer(a: IssuerInfo | undefined, b: IssuerInfo | undefined): boolean {
  return !!a && !!b && a.CertIssuerSubject === b.CertIssuerSubject && a.CertIssuerPublicKey === b.CertIssuerPublicKey;
}
