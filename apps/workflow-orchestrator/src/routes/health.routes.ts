import { checkReadiness, type DependencyCheck } from '@mcp/service-kit';
import type { FastifyInstance } from 'fastify';

/** GET /health (liveness: the process answers) and GET /ready (dependencies answer, not draining). */
export function registerHealthRoutes(app: FastifyInstance, options: { checks: Record<string, DependencyCheck>; timeoutMs: number; isDraining: () => boolean }): void {
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/ready', async (_request, reply) => {
    const report = await checkReadiness(options.checks, { timeoutMs: options.timeoutMs, draining: options.isDraining() });
    return reply.code(report.ready ? 200 : 503).send(report);
  });
}
