// Versions of a secret's or config's data (pure). The current data is Spec.Data at DataVersion;
// PastData keeps older ones that a service spec, previous spec or live task still references.
import type { ConfigObject, SecretObject } from './tables';

/** The data (base64) of `obj` at `version`, or undefined when that version is gone. */
export function dataAtVersion(obj: SecretObject | ConfigObject, version: number | undefined): string | undefined {
  if (version === undefined || version === obj.DataVersion) return obj.Spec.Data ?? '';
  return obj.PastData?.[String(version)];
}
