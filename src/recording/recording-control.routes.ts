// Live recording control: pause, resume, stop, start (again), mask and unmask the recording of a call
// in progress, whichever instance handles the call. Audited in the customer's region.
import { Type } from '@sinclair/typebox';
import { actorName } from '../accounts/actor.js';
import { auditCustomer } from '../accounts/audit.repo.js';
import { ownerFilter, principalOf } from '../api/scope.js';
import { errorResponses } from '../api/schemas.js';
import type { ApiModule } from '../api/types.js';
import type { RegionRouter } from '../store/region-router.js';
import { CONTROL_ACTIONS } from './anchor.types.js';
import type { LiveCalls } from './live-calls.js';

export function recordingControlRoutes(live: LiveCalls, router: RegionRouter): ApiModule {
  return {
    name: 'recording-control',
    register(app) {
      app.post(
        '/v1/calls/:callId/recording',
        {
          schema: {
            tags: ['recordings'],
            summary: 'Control the recording of a call in progress',
            params: Type.Object({
              callId: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._@:-]+$' }),
            }),
            body: Type.Object(
              { action: Type.Union(CONTROL_ACTIONS.map((a) => Type.Literal(a))) },
              { additionalProperties: false },
            ),
            response: { 204: Type.Null(), ...errorResponses },
          },
        },
        async (req, reply) => {
          const { callId } = req.params;
          const { action } = req.body;
          const customerId = await live.control(callId, ownerFilter(req), action);
          const { db } = await router.forCustomer(customerId);
          await auditCustomer(db, customerId, {
            actor: actorName(principalOf(req)),
            action: `recording.${action}`,
            resource: 'call',
            resourceId: callId,
          });
          return reply.status(204).send(null);
        },
      );
    },
  };
}
