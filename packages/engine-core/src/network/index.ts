export type * from './types';
export {
  BridgeNetworkService,
  type BridgeNetworkServiceOptions,
  type NetworkInitOptions,
  type NetworkInspect,
} from './service';
export {
  DEFAULT_IPAM_CONFIG,
  type IpamConfig,
  AddressPool,
  type AddressPoolState,
  pickSubnet,
  defaultGateway,
} from './ipam';
export { macFromIp, networkNames, type NetworkNames } from './names';
export { parseCidr, formatCidr, parseIp, formatIp, contains as cidrContains, type Cidr } from './ipv4';
export { type EmbeddedDnsOptions } from './dns/embedded-dns';
export { DnsBindError } from './dns/server';
export {
  DnsWireError,
  buildQuery as buildDnsQuery,
  parseResponse as parseDnsResponse,
  TYPE as DNS_TYPE,
  RCODE as DNS_RCODE,
  type DnsResponseView,
} from './dns/wire';
export { OWN_TTL as DNS_TTL } from './dns/responder';
