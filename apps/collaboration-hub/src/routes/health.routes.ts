import { checkReadiness } from '@mcp/service-kit';
import type { DependencyCheck } from '@mcp/service-kit';
import type Router from '@koa/router';

export interface HealthRouteDependencies {
  /** Real dependencies only (Redis when configured); none means ready whenever not draining. */
  checks: Record<string, DependencyCheck>;
  timeoutMs: number;
  isDraining: () => boolean;
}

/** `GET /health`: liveness, no dependency checks. `GET /ready`: dependencies within a deadline; 503 while draining. */
export function registerHealthRoutes(router: Router, deps: HealthRouteDependencies): void {
  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/ready', async (ctx) => {
    const report = await checkReadiness(deps.checks, { timeoutMs: deps.timeoutMs, draining: deps.isDraining() });
    ctx.status = report.ready ? 200 : 503;
    ctx.body = report;
  });
}
