// A customer's data as a whole: the export (records and content in one archive), the content erase
// (all content deleted; CDRs/MDRs kept for their legal period), and applying a number's retention
// policy to content already stored. Operators, or the customer's own key; others get 404.
import { Type } from '@sinclair/typebox';
import { E164 } from '../accounts/number-settings.js';
import { customerScope, ownerFilter, principalOf } from '../api/scope.js';
import { Uuid, errorResponses } from '../api/schemas.js';
import type { ApiModule } from '../api/types.js';
import type { ContentService } from './content.service.js';
import type { ExportService } from './export.service.js';

const Counts = Type.Object({ recordings: Type.Integer(), messages: Type.Integer() });

export function customerContentRoutes(content: ContentService, exporter: ExportService): ApiModule {
  return {
    name: 'customer-content',
    register(app) {
      app.get(
        '/v1/customers/:id/export',
        { schema: { tags: ['content'], params: Type.Object({ id: Uuid }), response: errorResponses } },
        async (req, reply) => {
          const customerId = customerScope(req, req.params.id);
          const archive = await exporter.exportCustomer(principalOf(req), customerId);
          return reply
            .type('application/gzip')
            .header('content-disposition', `attachment; filename="export-${customerId}.tar.gz"`)
            .header('cache-control', 'no-store')
            .send(archive);
        },
      );

      app.post(
        '/v1/customers/:id/content/erase',
        {
          schema: {
            tags: ['content'],
            params: Type.Object({ id: Uuid }),
            body: Type.Object(
              { confirm: Type.Literal(true, { description: 'must be true: the erase cannot be undone' }) },
              { additionalProperties: false },
            ),
            response: { 200: Type.Object({ erased: Counts }), ...errorResponses },
          },
        },
        async (req) => {
          const n = await content.eraseContent(principalOf(req), customerScope(req, req.params.id));
          return { erased: { recordings: n.recording, messages: n.message_content } };
        },
      );

      app.post(
        '/v1/numbers/:e164/retention/apply',
        {
          schema: {
            tags: ['content'],
            description:
              "Applies the number's current retention policy to content already stored for it (new content always gets it)",
            params: Type.Object({ e164: E164 }),
            response: { 200: Type.Object({ updated: Counts }), ...errorResponses },
          },
        },
        async (req) => {
          const n = await content.applyRetention(principalOf(req), ownerFilter(req), req.params.e164);
          return { updated: { recordings: n.recording, messages: n.message_content } };
        },
      );
    },
  };
}
