// The content feature: the customer's content controls in the API (recordings, export, erase,
// retention applied to existing content) and key-ring rotation for operators.
import type { Feature, FeatureHandle } from '../feature.js';
import { ContentDeleter } from './content-deleter.js';
import { ContentService } from './content.service.js';
import { ExportService } from './export.service.js';
import { recordingsRoutes } from './recordings.routes.js';
import { customerContentRoutes } from './customer-content.routes.js';
import { keyRingsRoutes, RewrapRunner } from './key-rings.routes.js';

export interface ContentHandle extends FeatureHandle {
  content: ContentService;
  exporter: ExportService;
  rewrap: RewrapRunner;
}

export const contentFeature: Feature = {
  name: 'content',
  async start(ctx): Promise<ContentHandle> {
    const { config, stores, objects, envelope } = ctx;
    const log = ctx.log.child({ component: 'content' });
    const deleter = new ContentDeleter(stores.router, objects, config.retention.deleteConcurrency);
    const content = new ContentService({
      router: stores.router,
      objects,
      envelope,
      signer: ctx.signer,
      accounts: ctx.accounts,
      deleter,
      safetyBufferHours: config.retention.safetyBufferHours,
      linkTtlSeconds: config.content.linkTtlSeconds,
      batchSize: config.retention.batchSize,
    });
    const exporter = new ExportService({
      router: stores.router,
      objects,
      envelope,
      partRows: config.content.exportPartRows,
      log,
    });
    const keyDeps = {
      router: stores.router,
      objects,
      envelope,
      log,
      concurrency: 8,
      keys: envelope.provider,
      state: ctx.state,
      control: stores.control,
      instanceId: config.instance.id,
    };
    const rewrap = new RewrapRunner(keyDeps);
    ctx.lifecycle.onStop('drain', 'key-rewrap', () => rewrap.wait());
    return {
      content,
      exporter,
      rewrap,
      apiModules: [
        recordingsRoutes(content, config.api.publicBaseUrl),
        customerContentRoutes(content, exporter),
        keyRingsRoutes(keyDeps, rewrap),
      ],
    };
  },
};
