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

async function shutdown(signal: string): Promise<void> {
  log.info({ signal }, 'stopping');
  await app?.stop();
  log.info('stopped');
  process.exit(0);
}

process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled promise rejection'));
process.on('uncaughtException', (err) => {
  log.fatal({ err }, 'uncaught exception: stopping');
  void (app?.stop() ?? Promise.resolve()).finally(() => process.exit(1));
});

try {
  app = await startApp(config, { log });
  log.info('ready');
} catch (err) {
  log.fatal({ err }, 'failed to start');
  process.exit(1);
}
