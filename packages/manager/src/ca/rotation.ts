// Root CA rotation as data and pure decisions: what the cluster object holds while a rotation
// runs, what nodes trust and who signs, which nodes still have to move, and when it is done.
import { InvalidCaConfigError } from './errors';
import { issuerInfoOfRoot, sameIssuer, splitPems, type IssuerInfo, type TLSInfo } from './tls-info';

/** A rotation under way (cluster Data.rootRotation): the new root, its key, and it cross-signed by the old. */
export interface RootRotation {
  caCertPem: string;
  caKeyPem: string;
  crossSignedPem: string;
}

/** The CA part of the cluster object's Data. */
export interface CaState {
  caCertPem: string;
  caKeyPem: string;
  rotation?: RootRotation;
  /** The Spec.CAConfig.ForceRotate the current root (or rotation) answers. */
  lastForcedRotation?: number;
}

export function caStateOf(data: Record<string, unknown> | undefined): CaState {
  const d = (data ?? {}) as Partial<CaState> & { rootRotation?: RootRotation };
  if (!d.caCertPem || !d.caKeyPem) throw new Error('cluster object has no CA yet');
  return {
    caCertPem: d.caCertPem,
    caKeyPem: d.caKeyPem,
    ...(d.rootRotation ? { rotation: d.rootRotation } : {}),
    ...(d.lastForcedRotation !== undefined ? { lastForcedRotation: d.lastForcedRotation } : {}),
  };
}

/** The Data fields that hold `s` (merge over the cluster object's Data). */
export function caStateData(s: CaState): Record<string, unknown> {
  return {
    caCertPem: s.caCertPem,
    caKeyPem: s.caKeyPem,
    rootRotation: s.rotation,
    lastForcedRotation: s.lastForcedRotation,
  };
}

/** What every node trusts: the root, and while rotating the new root too. */
export function trustBundle(s: CaState): string {
  return s.rotation ? `${s.caCertPem.trim()}\n${s.rotation.caCertPem.trim()}\n` : s.caCertPem;
}

/** Who signs node certificates now: the new root while rotating (its chain carries the cross-signed cert). */
export function signer(s: CaState): { certPem: string; keyPem: string; intermediatePem?: string } {
  if (!s.rotation) return { certPem: s.caCertPem, keyPem: s.caKeyPem };
  return { certPem: s.rotation.caCertPem, keyPem: s.rotation.caKeyPem, intermediatePem: s.rotation.crossSignedPem };
}

/** Docker's Swarm.TLSInfo: the current root (the old one while rotating) and the issuer wanted of every node. */
export function swarmTlsInfo(s: CaState): TLSInfo {
  return { TrustRoot: s.caCertPem, ...issuerInfoOfRoot(signer(s).certPem) };
}

/** Whether a node whose certificate was issued by `issuer` must get a new one. */
export function needsReissue(s: CaState, issuer: IssuerInfo | undefined): boolean {
  return !sameIssuer(issuer, issuerInfoOfRoot(signer(s).certPem));
}

export interface NodeTlsView {
  id: string;
  tlsInfo?: Partial<TLSInfo>;
}

export interface RotationActions {
  /** Nodes whose certificate is not yet from the new root: they must renew. */
  reissue: string[];
  /** Every node moved: drop the old root. */
  finish: boolean;
}

/**
 * The leader's decision (pure, like swarmkit's reconciler): with a rotation under way, every node
 * (down ones too: they must come back or be removed) has to report a certificate from the new
 * root before the old root goes. Without one, nothing to do.
 */
export function reconcileRotation(s: CaState, nodes: NodeTlsView[]): RotationActions {
  if (!s.rotation) return { reissue: [], finish: false };
  const want = issuerInfoOfRoot(s.rotation.caCertPem);
  const reissue = nodes.filter((n) => !sameIssuer(n.tlsInfo as IssuerInfo | undefined, want)).map((n) => n.id);
  return { reissue, finish: reissue.length === 0 };
}

/** The CA state once the rotation is done: the new root alone (join tokens follow its digest). */
export function finishRotation(s: CaState): CaState {
  if (!s.rotation) return s;
  return {
    caCertPem: s.rotation.caCertPem,
    caKeyPem: s.rotation.caKeyPem,
    ...(s.lastForcedRotation !== undefined ? { lastForcedRotation: s.lastForcedRotation } : {}),
  };
}

/** Docker's CAConfig as `swarm update` sends it (the fields rotation reads). */
export interface CaConfigInput {
  ForceRotate?: number;
  SigningCACert?: string;
  SigningCAKey?: string;
  ExternalCAs?: unknown[] | null;
}

export type RotationRequest =
  { kind: 'none' } | { kind: 'abort' } | { kind: 'generate' } | { kind: 'given'; certPem: string; keyPem: string };

const norm = (pem: string) => splitPems(pem).join('\n').trim();

/**
 * What a `swarm update` asks of the CA (pure; swarmkit's validateCAConfig without external CAs):
 * a new ForceRotate generates a new root; a given certificate (with its key) becomes the new
 * root, unless it already is the root (which aborts a rotation under way) or the rotation's target.
 */
export function requestedRotation(s: CaState, c: CaConfigInput | undefined): RotationRequest {
  if (!c) return { kind: 'none' };
  if (c.ExternalCAs && c.ExternalCAs.length > 0)
    throw new InvalidCaConfigError(
      'external CAs are not supported: flotilla signs node certificates itself; give the new root with --ca-cert and --ca-key instead',
    );
  const cert = c.SigningCACert?.trim() ?? '';
  const key = c.SigningCAKey?.trim() ?? '';
  if (key && !cert)
    throw new InvalidCaConfigError('if a signing CA key is provided, the signing CA cert must also be provided');
  if (!cert) {
    return c.ForceRotate !== undefined && c.ForceRotate !== (s.lastForcedRotation ?? 0)
      ? { kind: 'generate' }
      : { kind: 'none' };
  }
  const certs = splitPems(cert);
  if (certs.length === 0) throw new InvalidCaConfigError('could not parse the desired CA certificate');
  if (certs.length > 1)
    throw new InvalidCaConfigError('the desired CA certificate cannot contain multiple certificates');
  if (norm(cert) === norm(s.caCertPem)) return s.rotation ? { kind: 'abort' } : { kind: 'none' };
  if (s.rotation && norm(cert) === norm(s.rotation.caCertPem)) return { kind: 'none' };
  if (!key)
    throw new InvalidCaConfigError(
      'there must be at least one valid, reachable external CA corresponding to the desired CA certificate: flotilla supports no external CA, give its key with --ca-key',
    );
  return { kind: 'given', certPem: certs[0]!, keyPem: key };
}
