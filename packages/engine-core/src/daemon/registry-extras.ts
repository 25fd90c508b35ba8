// Wires pull/push/login and docker save/load into the image backend as those modules land.
import type { ImageStore } from '../images/image-store';
import type { DataPaths } from '../paths';
import type { ImageExtras } from './images-backend';

export function registryExtras(_store: ImageStore, _paths: DataPaths): ImageExtras {
  return {};
}
