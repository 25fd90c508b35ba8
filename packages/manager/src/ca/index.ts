export { RootCA, createNodeKeyAndCsr, identityOf, CertificateRequestError, type NodeIdentity, type NodeRoleOU } from './authority';
export { caDigest, formatJoinToken, parseJoinToken, newSecret, secretMatches, InvalidJoinTokenError, type ParsedToken } from './tokens';
