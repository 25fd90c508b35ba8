// `--mount type=bind,source=/x,target=/y,readonly`: docker's CSV form, with its client-side texts.
import type { MountRequest } from '@flotilla/engine-core';
import { UsageError } from './args';
import { ramInBytes } from './units';

const TRUE = new Set(['', '1', 'true']);
const FALSE = new Set(['0', 'false']);

function bad(spec: string, why: string): UsageError {
  return new UsageError(`invalid argument "${spec}" for "--mount" flag: ${why}`);
}

/** Pure: one --mount value as a HostConfig.Mounts entry. */
export function parseMountFlag(spec: string): MountRequest {
  let type: MountRequest['Type'] = 'volume';
  let source: string | undefined;
  let target: string | undefined;
  let readOnly = false;
  const tmpfs: NonNullable<MountRequest['TmpfsOptions']> = {};
  for (const field of spec.split(',')) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? '' : field.slice(eq + 1);
    if (key === 'readonly' || key === 'ro') {
      if (TRUE.has(value.toLowerCase())) readOnly = true;
      else if (FALSE.has(value.toLowerCase())) readOnly = false;
      else throw bad(spec, `invalid value for ${key}: ${value}`);
      continue;
    }
    if (eq < 0) throw bad(spec, `invalid field '${field}' must be a key=value pair`);
    switch (key) {
      case 'type':
        if (value !== 'bind' && value !== 'volume' && value !== 'tmpfs')
          throw bad(spec, `invalid mount type: ${value} (bind, volume or tmpfs)`);
        type = value;
        break;
      case 'source':
      case 'src':
        source = value;
        break;
      case 'target':
      case 'destination':
      case 'dst':
        target = value;
        break;
      case 'tmpfs-size':
        try {
          tmpfs.SizeBytes = ramInBytes(value);
        } catch (e) {
          throw bad(spec, `invalid value for tmpfs-size: ${(e as Error).message}`);
        }
        break;
      case 'tmpfs-mode':
        if (!/^[0-7]{1,4}$/.test(value)) throw bad(spec, `invalid value for tmpfs-mode: ${value}`);
        tmpfs.Mode = parseInt(value, 8);
        break;
      case 'bind-propagation':
      case 'volume-nocopy':
      case 'consistency':
        break; // accepted like docker; flotilla binds rprivate and always copies image content
      default:
        throw bad(spec, `unexpected key '${key}' in '${field}'`);
    }
  }
  if (!target) throw bad(spec, 'target is required');
  if (type === 'tmpfs' && source) throw bad(spec, 'source is not allowed for tmpfs mounts');
  if (type === 'bind' && !source) throw bad(spec, 'source is required when specifying bind mount');
  return {
    Type: type,
    ...(source ? { Source: source } : {}),
    Target: target,
    ...(readOnly ? { ReadOnly: true } : {}),
    ...(type === 'tmpfs' && (tmpfs.SizeBytes !== undefined || tmpfs.Mode !== undefined) ? { TmpfsOptions: tmpfs } : {}),
  };
}
