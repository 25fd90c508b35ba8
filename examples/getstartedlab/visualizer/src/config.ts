// Settings from the environment: the API socket, the port, how often the page reloads.

export interface VisualizerConfig {
  socketPath: string;
  port: number;
  refreshSeconds: number;
}

export class InvalidSettingError extends Error {
  constructor(key: string, raw: string, want: string) {
    super(`${key}=${raw} is not valid: set it to ${want} or unset it`);
    this.name = 'InvalidSettingError';
  }
}

function intFrom(env: NodeJS.ProcessEnv, key: string, fallback: number, min: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new InvalidSettingError(key, raw, `an integer of at least ${min}`);
  return value;
}

export function configFromEnv(env: NodeJS.ProcessEnv): VisualizerConfig {
  const host = env.ENGINE_SOCKET || '/var/run/flotilla.sock';
  return {
    // unix:///path as FLOTILLA_HOST and DOCKER_HOST write it, or the bare path.
    socketPath: host.startsWith('unix://') ? host.slice('unix://'.length) : host,
    port: intFrom(env, 'PORT', 8080, 0),
    refreshSeconds: intFrom(env, 'REFRESH_SECONDS', 5, 1),
  };
}
