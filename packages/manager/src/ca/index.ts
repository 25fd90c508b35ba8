export {
  RootCA,
  createNodeKeyAndCsr,
  identityOf,
  CertificateRequestError,
  type NodeIdentity,
  type NodeRoleOU,
} from './authority';
export {
  caDigest,
  formatJoinToken,
  parseJoinToken,
  newSecret,
  secretMatches,
  InvalidJoinTokenError,
  type ParsedToken,
} from './tokens';
export { renewalDelayMs, renewalRetryMs, DEFAULT_NODE_CERT_EXPIRY_MS, MIN_NODE_CERT_EXPIRY_MS } from './renewal';
