// `make migrate`: apply control-plane and regional migrations, then exit.
import { loadConfig, ConfigError } from '../config/index.js';
import { createLogger } from '../platform/logger.js';
import { openStores } from '../store/stores.js';

try {
  const config = loadConfig();
  const log = createLogger({ level: config.log.level, instance: config.instance.id });
  const stores = await openStores({ config, log });
  await stores.close();
  log.info('migrations up to date');
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`configuration error: ${err.message}`);
    process.exit(2);
  }
  console.error(`migration failed: ${(err as Error).message}`);
  process.exit(1);
}
