// Entry point: `node main.js` (the image's CMD). As PID 1 in a container node has no default
// signal handling, so SIGTERM/SIGINT are handled here or `stop` would wait for SIGKILL.
import { configFromEnv } from './config';
import { createVisualizerServer } from './server';

function main(): void {
  let config;
  try {
    config = configFromEnv(process.env);
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
  const server = createVisualizerServer({ socketPath: config.socketPath, refreshSeconds: config.refreshSeconds });
  server.on('error', (error) => {
    console.error(`cannot serve on port ${config.port}: ${error.message}`);
    process.exit(1);
  });
  server.listen(config.port, () =>
    console.log(`visualizer listening on port ${config.port}, reading unix://${config.socketPath}`),
  );
  const shutdown = (signal: string): void => {
    console.log(`${signal} received, shutting down`);
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main();
