// Docker Engine API v1.41 swarm shapes (ServiceSpec, Task, Node...): the control API speaks them
// so that the docker CLI's habits and, later, docker itself can drive flotilla unchanged.
// Durations are nanoseconds, CPUs are NanoCPUs, as in Docker's API.

export interface Mount {
  Type: 'bind' | 'volume' | 'tmpfs';
  Source?: string;
  Target: string;
  ReadOnly?: boolean;
  VolumeOptions?: {
    NoCopy?: boolean;
    Labels?: Record<string, string>;
    DriverConfig?: { Name?: string; Options?: Record<string, string> };
  };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
}

export interface ContainerSpec {
  Image: string;
  Labels?: Record<string, string>;
  Command?: string[];
  Args?: string[];
  Hostname?: string;
  Env?: string[];
  Dir?: string;
  User?: string;
  Mounts?: Mount[];
  StopSignal?: string;
  StopGracePeriod?: number;
  Healthcheck?: HealthConfig;
  Hosts?: string[];
  Init?: boolean | null;
  Secrets?: SecretReference[];
  Configs?: ConfigReference[];
}

/** Where a secret or config appears in the container: a file (docker's UID/GID are strings). */
export interface ReferenceFile {
  Name: string;
  UID: string;
  GID: string;
  Mode: number;
}

/**
 * A task's use of a secret (docker's SecretReference). DataVersion is flotilla's: the data version
 * of the secret the task gets. The control API pins it (to the secret's current version) when a
 * client leaves it out, so a task never changes data without a roll, and a rollback restores it.
 */
export interface SecretReference {
  File?: ReferenceFile;
  SecretID: string;
  SecretName: string;
  DataVersion?: number;
}

/** A task's use of a config (docker's ConfigReference); `Runtime` (no file) is accepted and kept. */
export interface ConfigReference {
  File?: ReferenceFile;
  Runtime?: Record<string, unknown>;
  ConfigID: string;
  ConfigName: string;
  DataVersion?: number;
}

/** docker's Driver shape (secret drivers, `Templating: {Name: "golang"}`). */
export interface Driver {
  Name: string;
  Options?: Record<string, string>;
}

/** docker's SecretSpec. Data is base64 (as on the API); it is never returned for a secret. */
export interface SecretSpec {
  Name: string;
  Labels?: Record<string, string>;
  Data?: string;
  Driver?: Driver;
  Templating?: Driver;
}

/** docker's ConfigSpec (Data base64; returned by inspect, like docker). */
export interface ConfigSpec {
  Name: string;
  Labels?: Record<string, string>;
  Data?: string;
  Templating?: Driver;
}

export interface ResourceSet {
  NanoCPUs?: number;
  MemoryBytes?: number;
  Pids?: number;
}

export interface RestartPolicy {
  Condition?: 'none' | 'on-failure' | 'any';
  Delay?: number;
  MaxAttempts?: number;
  Window?: number;
}

export interface Placement {
  Constraints?: string[];
  Preferences?: { Spread: { SpreadDescriptor: string } }[];
  MaxReplicas?: number;
}

export interface UpdateConfig {
  Parallelism?: number;
  Delay?: number;
  FailureAction?: 'continue' | 'pause' | 'rollback';
  Monitor?: number;
  MaxFailureRatio?: number;
  Order?: 'stop-first' | 'start-first';
}

export interface NetworkAttachmentConfig {
  Target: string;
  Aliases?: string[];
}

export interface TaskSpec {
  ContainerSpec: ContainerSpec;
  Resources?: { Limits?: ResourceSet; Reservations?: ResourceSet };
  RestartPolicy?: RestartPolicy;
  Placement?: Placement;
  Networks?: NetworkAttachmentConfig[];
  ForceUpdate?: number;
}

export interface PortConfig {
  Name?: string;
  Protocol: 'tcp' | 'udp' | 'sctp';
  TargetPort: number;
  PublishedPort?: number;
  PublishMode: 'ingress' | 'host';
}

export interface EndpointSpec {
  Mode?: 'vip' | 'dnsrr';
  Ports?: PortConfig[];
}

/** Global carries no settings in docker's API (`{}`); what a client sends there is kept as sent. */
export type ServiceMode = { Replicated: { Replicas: number } } | { Global: Record<string, unknown> };

export interface ServiceSpec {
  Name: string;
  Labels?: Record<string, string>;
  TaskTemplate: TaskSpec;
  Mode: ServiceMode;
  UpdateConfig?: UpdateConfig;
  RollbackConfig?: UpdateConfig;
  EndpointSpec?: EndpointSpec;
}

export interface NetworkCreateSpec {
  Name: string;
  Driver: string;
  Attachable?: boolean;
  Internal?: boolean;
  Labels?: Record<string, string>;
  Options?: Record<string, string>;
  IPAM?: { Driver?: string; Config?: { Subnet?: string; Gateway?: string }[] };
}
