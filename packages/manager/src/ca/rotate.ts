// Starting a root rotation: the new root (made here, or the user's own checked), cross-signed by
// the current root's key. Async (key generation, signing); the decision itself is rotation.ts.
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { RootCA } from './authority';
import { InvalidCaConfigError } from './errors';
import type { CaState, RotationRequest } from './rotation';

const YEAR = 365 * 24 * 3600 * 1000;

/** A root name of its own for each rotation (see RootCA.create). */
function rotatedRootName(): string {
  return `CN=swarm-ca, OU=root-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

/** The user's `--ca-cert`/`--ca-key`, checked like swarmkit does, as a RootCA. */
export async function userRoot(certPem: string, keyPem: string, current: CaState): Promise<RootCA> {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    throw new InvalidCaConfigError('could not parse the desired CA certificate');
  }
  if (!cert.ca)
    throw new InvalidCaConfigError('the desired CA certificate is not a CA certificate (basicConstraints CA:TRUE)');
  if (Date.parse(cert.validTo) < Date.now() + YEAR) throw new InvalidCaConfigError('CA certificate expires too soon');
  let pkcs8: string;
  try {
    const key = createPrivateKey(keyPem);
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
      throw new InvalidCaConfigError('the CA key must be an ECDSA P-256 key (openssl ecparam -name prime256v1)');
    const spki = (k: Parameters<typeof createPublicKey>[0]) =>
      createPublicKey(k).export({ type: 'spki', format: 'der' });
    if (!spki(key).equals(spki(cert.publicKey.export({ type: 'spki', format: 'pem' }))))
      throw new InvalidCaConfigError('the CA key does not match the CA certificate');
    if (spki(key).equals(spki(current.caKeyPem)))
      throw new InvalidCaConfigError('Cannot update to a cert with an identical key');
    pkcs8 = key.export({ type: 'pkcs8', format: 'pem' }).toString();
  } catch (e) {
    if (e instanceof InvalidCaConfigError) throw e;
    throw new InvalidCaConfigError(`invalid CA key: ${(e as Error).message}`);
  }
  if (new X509Certificate(current.caCertPem).subject === cert.subject)
    throw new InvalidCaConfigError(
      `the new CA certificate must have a subject other than the current root's (${cert.subject.replace(/\n/g, ', ')})`,
    );
  return RootCA.load(certPem, pkcs8);
}

/** The CA state once `req` is applied to `s` (a new rotation replaces one under way). */
export async function applyRotationRequest(s: CaState, req: RotationRequest, forceRotate?: number): Promise<CaState> {
  const forced = forceRotate !== undefined ? { lastForcedRotation: forceRotate } : {};
  switch (req.kind) {
    case 'none':
      return s;
    case 'abort':
      return { caCertPem: s.caCertPem, caKeyPem: s.caKeyPem, ...forced };
    case 'generate':
    case 'given': {
      const next =
        req.kind === 'generate'
          ? await RootCA.create({ name: rotatedRootName() })
          : await userRoot(req.certPem, req.keyPem, s);
      // Always the current root signs: a rotation replacing another starts over from the same old root.
      const old = await RootCA.load(s.caCertPem, s.caKeyPem);
      return {
        caCertPem: s.caCertPem,
        caKeyPem: s.caKeyPem,
        rotation: { caCertPem: next.certPem, caKeyPem: next.keyPem, crossSignedPem: await old.crossSign(next) },
        ...forced,
      };
    }
  }
}
