// Object commands (inspect, network, volume, version, info), each in the file of its seam;
// main.ts loads this module on first use.
export { containerInspect, imageInspect, inspect } from './object-inspect';
export { network } from './network';
export { volume } from './volume';
export { info, version } from './system-info';
