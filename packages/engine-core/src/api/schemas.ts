// zod schemas for the request bodies the API accepts: validated at the edge, unknown fields kept
// (docker ignores what it does not know, and so do we).
import { z } from 'zod';

const strArr = z.array(z.string());
const nullableStrArr = strArr.nullable().optional();
const strMap = z.record(z.string(), z.string());

export const containerCreateSchema = z.looseObject({
  Hostname: z.string().optional(),
  User: z.string().optional(),
  Env: nullableStrArr,
  Cmd: z
    .union([strArr, z.string().transform((s) => [s])])
    .nullable()
    .optional(),
  Entrypoint: z
    .union([strArr, z.string().transform((s) => [s])])
    .nullable()
    .optional(),
  Image: z.string().min(1, 'image is required'),
  WorkingDir: z.string().optional(),
  Labels: strMap.nullable().optional(),
  ExposedPorts: z.record(z.string(), z.object({})).nullable().optional(),
  Tty: z.boolean().optional(),
  OpenStdin: z.boolean().optional(),
  AttachStdin: z.boolean().optional(),
  StopSignal: z.string().optional(),
  StopTimeout: z.number().int().nullable().optional(),
  HostConfig: z
    .looseObject({
      Binds: nullableStrArr,
      PortBindings: z
        .record(
          z.string(),
          z.array(z.object({ HostIp: z.string().optional(), HostPort: z.string().optional() })).nullable(),
        )
        .nullable()
        .optional(),
      NetworkMode: z.string().optional(),
      AutoRemove: z.boolean().optional(),
      NanoCpus: z.number().int().nonnegative().optional(),
      CpuQuota: z.number().int().optional(),
      CpuPeriod: z.number().int().nonnegative().optional(),
      Memory: z.number().int().nonnegative().optional(),
      PidsLimit: z.number().int().nullable().optional(),
      Mounts: z
        .array(
          z.looseObject({
            Type: z.string().optional(),
            Source: z.string().optional(),
            Target: z.string(),
            ReadOnly: z.boolean().optional(),
          }),
        )
        .nullable()
        .optional(),
      RestartPolicy: z
        .looseObject({ Name: z.string().optional(), MaximumRetryCount: z.number().int().optional() })
        .optional(),
      Privileged: z.boolean().optional(),
      ReadonlyRootfs: z.boolean().optional(),
    })
    .nullable()
    .optional(),
  NetworkingConfig: z
    .looseObject({
      EndpointsConfig: z
        .record(
          z.string(),
          z.looseObject({
            Aliases: nullableStrArr,
            IPAMConfig: z.looseObject({ IPv4Address: z.string().optional() }).nullable().optional(),
          }),
        )
        .nullable()
        .optional(),
    })
    .nullable()
    .optional(),
});

export const execCreateSchema = z.looseObject({
  Cmd: strArr.min(1, 'No exec command specified'),
  Env: nullableStrArr,
  User: z.string().optional(),
  WorkingDir: z.string().optional(),
  Tty: z.boolean().optional(),
  AttachStdin: z.boolean().optional(),
  AttachStdout: z.boolean().optional(),
  AttachStderr: z.boolean().optional(),
  Privileged: z.boolean().optional(),
});

export const execStartSchema = z.looseObject({ Detach: z.boolean().optional(), Tty: z.boolean().optional() });

export const authSchema = z.looseObject({
  username: z.string().optional(),
  password: z.string().optional(),
  serveraddress: z.string().optional(),
  identitytoken: z.string().optional(),
});

export const networkCreateSchema = z.looseObject({
  Name: z.string().min(1, 'network name is required'),
  Driver: z.string().optional(),
  Internal: z.boolean().optional(),
  Attachable: z.boolean().optional(),
  CheckDuplicate: z.boolean().optional(),
  IPAM: z
    .looseObject({
      Driver: z.string().optional(),
      Config: z
        .array(
          z.looseObject({
            Subnet: z.string().optional(),
            Gateway: z.string().optional(),
            IPRange: z.string().optional(),
          }),
        )
        .nullable()
        .optional(),
    })
    .nullable()
    .optional(),
  Options: strMap.nullable().optional(),
  Labels: strMap.nullable().optional(),
});

export const networkConnectSchema = z.looseObject({ Container: z.string().min(1), Force: z.boolean().optional() });

export const volumeCreateSchema = z.looseObject({
  Name: z.string().optional(),
  Driver: z.string().optional(),
  DriverOpts: strMap.nullable().optional(),
  Labels: strMap.nullable().optional(),
});

/** POST /commit body: an optional container config whose fields replace the container's. */
export const commitConfigSchema = z
  .looseObject({
    Env: nullableStrArr,
    Cmd: strArr.nullable().optional(),
    Entrypoint: strArr.nullable().optional(),
    WorkingDir: z.string().optional(),
    User: z.string().optional(),
    Labels: strMap.nullable().optional(),
  })
  .nullable();
