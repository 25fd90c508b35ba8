// `GET /distribution/{name}/json` (docker's DistributionInspect, which `service create` and
// `service update` call unless --no-resolve-image): pure, the answer for a reference.
import { InvalidArgumentError, familiarString, parseReference, withDefaultTag } from '@flotilla/engine-core';
import { RegistryLookupError } from './errors';

/**
 * A malformed reference is a 400 with docker's words; any other is answered as dockerd answers
 * when the registry is out of reach (flotilla does not query registries for digests here).
 */
export function distributionInspect(name: string): never {
  let image: string;
  try {
    image = familiarString(withDefaultTag(parseReference(name)));
  } catch {
    throw new InvalidArgumentError(`invalid reference format: ${name}`);
  }
  throw new RegistryLookupError(image);
}
