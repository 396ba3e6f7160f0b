// Entry point: load the configuration (exit 2 on a bad one), start everything, and stop cleanly on
// SIGTERM/SIGINT (exit 0). A failure to start exits 1 with the reason logged.
import { loadConfig, ConfigError, type Config } from './config/index.js';
import { startApp, type App } from './app.js';
import { createLogger } from './platform/logger.js';

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`configuration error: ${err.message}`);
    process.exit(2);
  }
  throw err;
}

const log = createLogger({ level: config.log.level, instance: config.instance.id });
let app: App | undefined;
let exitCode = 0;

// A signal or POST /admin/drain starts the stop; the process exits once it has run (below).
async function shutdown(signal: string): Promise<void> {
  log.info({ signal }, 'stopping');
  if (!app) process.exit(0);
  await app.stop();
}

process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled promise rejection'));
process.on('uncaughtException', (err) => {
  log.fatal({ err }, 'uncaught exception: stopping');
  exitCode = 1;
  void (app?.stop() ?? Promise.resolve()).finally(() => process.exit(1));
});

try {
  app = await startApp(config, { log });
  void app.lifecycle.stopped.then(() => {
    log.info('stopped');
    process.exit(exitCode);
  });
  log.info('ready');
} catch (err) {
  log.fatal({ err }, 'failed to start');
  process.exit(1);
}
