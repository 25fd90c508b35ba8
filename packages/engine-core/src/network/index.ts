export type * from './types';
export { BridgeNetworkService, type BridgeNetworkServiceOptions, type NetworkInitOptions, type NetworkInspect } from './service';
export { DEFAULT_IPAM_CONFIG, type IpamConfig, AddressPool, type AddressPoolState, pickSubnet, defaultGateway } from './ipam';
export { macFromIp, networkNames, type NetworkNames } from './names';
export { parseCidr, formatCidr, parseIp, formatIp, type Cidr } from './ipv4';
