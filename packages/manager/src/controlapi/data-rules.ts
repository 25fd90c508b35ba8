// The rules a secret or config spec must pass (pure): docker's name rule and size limits, base64
// data, no external secret drivers, golang templates that parse. Shared by secrets.ts and configs.ts.
import { z } from 'zod';
import { checkTemplate } from '../templates';
import { InvalidSpecError, type DataKind } from './errors';
import { parseBody } from './validate';

/** swarmkit's MaxSecretSize and MaxConfigSize: the data must be shorter than this many bytes. */
export const MAX_DATA_BYTES: Record<DataKind, number> = { secret: 500 * 1024, config: 1000 * 1024 };

const driver = z.object({ Name: z.string(), Options: z.record(z.string(), z.string()).nullish() });

/** A driver as a body names it (only the name matters to the checks). */
type Named = { Name: string } | null | undefined;

/** A SecretSpec or ConfigSpec body as a client sends it (Go clients send null for empty fields). */
const dataSpecBody = z.object({
  Name: z.string().nullish(),
  Labels: z.record(z.string(), z.string()).nullish(),
  Data: z.string().nullish(),
  Driver: driver.nullish(),
  Templating: driver.nullish(),
});

export type DataSpecBody = z.infer<typeof dataSpecBody>;

export function parseDataSpec(input: unknown): DataSpecBody {
  return parseBody(dataSpecBody, input);
}

/** swarmkit's name rule for secrets and configs (64 characters, unlike services' 63). */
const NAME = /^[a-zA-Z0-9]+(?:[a-zA-Z0-9-_.]*[a-zA-Z0-9])?$/;

export function checkDataName(name: string | null | undefined): string {
  if (!name) throw new InvalidSpecError('name must be provided');
  if (name.length > 64 || !NAME.test(name))
    throw new InvalidSpecError(
      'invalid name, only 64 [a-zA-Z0-9-_.] characters allowed, and the start and end character must be [a-zA-Z0-9]',
    );
  return name;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes Data as Go's encoding/json does for []byte (standard alphabet, padded; newlines ignored). */
export function decodeData(data: string): Buffer {
  const clean = data.replace(/[\r\n]/g, '');
  if (!BASE64.test(clean))
    throw new InvalidSpecError(
      'invalid request body: Data: not valid base64: send the data base64-encoded (standard alphabet, padded)',
    );
  return Buffer.from(clean, 'base64');
}

/** The data's checks: docker's size text, then a golang template must parse (400 with the parse error). */
export function checkData(kind: DataKind, bytes: Buffer, templating: Named): void {
  const max = MAX_DATA_BYTES[kind];
  if (bytes.length >= max || bytes.length < 1)
    throw new InvalidSpecError(`${kind} data must be larger than 0 and less than ${max} bytes`);
  if (templating) checkTemplate(bytes.toString('utf8'));
}

/** Only Go templates are expanded (docker's one template driver). */
export function checkTemplating(templating: Named): void {
  if (templating && templating.Name !== 'golang')
    throw new InvalidSpecError(
      `unsupported template driver "${templating.Name}": the only template driver is "golang" (--template-driver golang)`,
    );
}

/** Secrets are kept in the swarm's own store: an external secret driver (a plugin) is refused. */
export function checkSecretDriver(d: Named): void {
  if (!d) return;
  if (!d.Name) throw new InvalidSpecError('secret driver must have a name');
  throw new InvalidSpecError(
    `secret driver "${d.Name}" is not supported: flotilla has no external secret drivers and keeps every secret in the swarm's store; leave Driver out and send the data`,
  );
}
