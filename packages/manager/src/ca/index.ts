export { RootCA, createNodeKeyAndCsr, identityOf, type NodeIdentity, type NodeRoleOU } from './authority';
export { caDigest, formatJoinToken, parseJoinToken, newSecret, secretMatches, type ParsedToken } from './tokens';
export { CertificateRequestError, InvalidJoinTokenError } from './errors';
export { renewalDelayMs, renewalRetryMs, DEFAULT_NODE_CERT_EXPIRY_MS, MIN_NODE_CERT_EXPIRY_MS } from './renewal';
