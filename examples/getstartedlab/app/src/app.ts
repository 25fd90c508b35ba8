// Entry point: `node app.js` (the image's CMD). As PID 1 in a container, node gets no default
// signal handling, so SIGTERM/SIGINT are handled here or `stop` would wait for SIGKILL.
import { configFromEnv } from './config';
import { VisitCounter } from './counter';
import { createAppServer } from './server';

function main(): void {
  const config = configFromEnv(process.env);
  const counter = new VisitCounter({
    host: config.redisHost,
    port: config.redisPort,
    timeoutMs: config.redisTimeoutMs,
    onStateChange: (reachable, error) => {
      if (reachable) console.log(`redis ${config.redisHost}:${config.redisPort} reachable, counter enabled`);
      else
        console.log(
          `cannot connect to redis ${config.redisHost}:${config.redisPort} (${error?.message ?? 'unknown error'}), counter disabled`,
        );
    },
  });
  const server = createAppServer({ name: config.name, counter });
  server.on('error', (error) => {
    console.error(`cannot serve on port ${config.port}: ${error.message}`);
    process.exit(1);
  });
  server.listen(config.port, () => console.log(`listening on port ${config.port}`));

  const shutdown = (signal: string): void => {
    console.log(`${signal} received, shutting down`);
    counter.close();
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main();
