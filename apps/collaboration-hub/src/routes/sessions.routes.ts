import { INTERNAL_SECRET_HEADER, LIMITS, SessionLeavePayload, WorkflowProgressEvent, describeIssues } from '@mcp/contracts';
import { HttpError, readJsonBody } from '@mcp/service-kit';
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { CollaborationService } from '../services/collaboration.service';
import { secretMatches } from '../services/shared-secret.util';

export interface SessionRouteDependencies {
  collaboration: CollaborationService;
  /** The shared secret the orchestrator sends in `x-internal-secret`. */
  internalSecret: string;
}

/** The `:id` of a session route, validated like the Socket.IO payloads' `session_id`. */
function sessionIdOf(ctx: Context & { params: Record<string, string> }): string {
  const parsed = SessionLeavePayload.safeParse({ session_id: ctx.params['id'] });
  if (!parsed.success) throw new HttpError(400, 'invalid request', describeIssues(parsed.error));
  return parsed.data.session_id;
}

/**
 * `GET /sessions/:id` → `{ session_id, participants }`;
 * `POST /internal/sessions/:id/events` (shared secret, `WorkflowProgressEvent` body) → 202 `{ delivered_to }`,
 * with the event emitted as `workflow:progress` to the session's room in this request's trace context.
 */
export function registerSessionRoutes(router: Router, deps: SessionRouteDependencies): void {
  router.get('/sessions/:id', async (ctx) => {
    const sessionId = sessionIdOf(ctx);
    ctx.body = { session_id: sessionId, participants: await deps.collaboration.participants(sessionId) };
  });

  const bodyLimits = { limitBytes: LIMITS.jsonBodyBytes, maxDepth: LIMITS.jsonNestingDepth };

  // One route function rather than a middleware chain: the Koa instrumentation makes a span of each
  // router middleware, and four nested spans for one request tell nothing more than one.
  router.post('/internal/sessions/:id/events', async (ctx) => {
    // The secret is checked before the body is read: an unauthenticated caller costs no parsing.
    if (!secretMatches(ctx.get(INTERNAL_SECRET_HEADER), deps.internalSecret)) throw new HttpError(401, 'unauthorized');
    // The same bounded reader as the other services: 415/413 before the body is read, nesting checked on the text.
    const body = await readJsonBody(ctx.req, bodyLimits);
    if (!body.ok) throw new HttpError(body.status, body.message);
    const sessionId = sessionIdOf(ctx);
    const parsed = WorkflowProgressEvent.safeParse(body.value);
    if (!parsed.success) throw new HttpError(400, 'invalid request', describeIssues(parsed.error));
    const deliveredTo = await deps.collaboration.relayProgress(sessionId, parsed.data);
    ctx.status = 202;
    ctx.body = { delivered_to: deliveredTo };
  });
}
