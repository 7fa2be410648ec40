import { createReadinessProbe } from '@mcp/service-kit';
import type { DependencyCheck, Logger } from '@mcp/service-kit';
import type Router from '@koa/router';

export interface HealthRouteDependencies {
  /** Real dependencies only (Redis when configured); none means ready whenever not draining. */
  checks: Record<string, DependencyCheck>;
  timeoutMs: number;
  isDraining: () => boolean;
  /** Where /ready's details go (which dependency failed and how): the answer carries none. */
  logger: Logger;
}

/** `GET /health`: liveness, no dependency checks. `GET /ready`: dependencies within a deadline; 503 while draining. */
export function registerHealthRoutes(router: Router, deps: HealthRouteDependencies): void {
  const probe = createReadinessProbe(deps.checks, deps);
  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/ready', async (ctx) => {
    const answer = await probe();
    ctx.status = answer.status;
    ctx.body = answer.body;
  });
}
