// Errors of the swarm API edge that no other part raises.
import { EngineError } from '@flotilla/engine-core';

/**
 * `GET /distribution/{name}/json` of an image flotilla does not look up on a registry: an error
 * status, like dockerd's when the registry cannot be reached, so that the docker CLI warns that
 * the image's digest could not be recorded and carries on with the name as given.
 */
export class RegistryLookupError extends EngineError {
  constructor(image: string) {
    super(
      `image ${image} could not be looked up on a registry: flotilla does not pin service images to a digest; each node uses its local copy or pulls ${image} itself (pass --no-resolve-image to skip this lookup)`,
      500,
    );
  }
}
