// Settings from the environment, with the tutorial's defaults (port 80, Redis at host "redis").

export interface AppConfig {
  port: number;
  name: string;
  redisHost: string;
  redisPort: number;
  /** Connect and command timeout, like redis-py's socket_connect_timeout/socket_timeout of 2 s. */
  redisTimeoutMs: number;
}

function intFrom(env: NodeJS.ProcessEnv, key: string, fallback: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${key}=${raw} is not a valid number: set it to a non-negative integer or unset it`);
  }
  return value;
}

export function configFromEnv(env: NodeJS.ProcessEnv): AppConfig {
  return {
    port: intFrom(env, 'PORT', 80),
    name: env.NAME ?? 'world',
    redisHost: env.REDIS_HOST || 'redis',
    redisPort: intFrom(env, 'REDIS_PORT', 6379),
    redisTimeoutMs: intFrom(env, 'REDIS_TIMEOUT_MS', 2000),
  };
}
