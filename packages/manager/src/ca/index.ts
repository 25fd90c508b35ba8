export { RootCA, createNodeKeyAndCsr, identityOf, type NodeIdentity, type NodeRoleOU } from './authority';
export { caDigest, formatJoinToken, parseJoinToken, newSecret, secretMatches, type ParsedToken } from './tokens';
export { CertificateRequestError, InvalidJoinTokenError } from './errors';
export { renewalDelayMs, renewalRetryMs, DEFAULT_NODE_CERT_EXPIRY_MS, MIN_NODE_CERT_EXPIRY_MS } from './renewal';
export {
  caStateOf,
  caStateData,
  finishRotation,
  needsReissue,
  reconcileRotation,
  requestedRotation,
  signer,
  swarmTlsInfo,
  trustBundle,
  type CaConfigInput,
  type CaState,
  type NodeTlsView,
  type RootRotation,
  type RotationActions,
  type RotationRequest,
} from './rotation';
export { applyRotationRequest, userRoot } from './rotate';
export {
  issuerInfoOfRoot,
  issuerSubjectOf,
  pemToDer,
  sameIssuer,
  splitPems,
  type IssuerInfo,
  type TLSInfo,
} from './tls-info';
export { InvalidCaConfigError } from './errors';
