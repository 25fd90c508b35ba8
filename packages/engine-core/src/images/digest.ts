// sha256 digests as the image store writes them ("sha256:<hex>"), and docker's short IDs.
import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '../errors';

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** The hex part of "sha256:<hex>"; rejects other algorithms and malformed digests. */
export function digestHex(digest: string): string {
  const hex = /^sha256:([a-f0-9]{64})$/.exec(digest)?.[1];
  if (hex === undefined)
    throw new InvalidArgumentError(
      `unsupported or malformed digest ${JSON.stringify(digest)} (only sha256 is supported)`,
    );
  return hex;
}

/** Docker's short ID: the first 12 hex digits. */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
