// Named local volumes.
export { VolumeStore, ANONYMOUS_LABEL } from './volume-store';
export type { Volume, VolumeCreateRequest, VolumeUsers } from './volume-store';
