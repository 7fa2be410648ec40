import { createReadinessProbe, type DependencyCheck, type Logger } from '@mcp/service-kit';
import type { FastifyInstance } from 'fastify';

/** GET /health (liveness: the process answers) and GET /ready (dependencies answer, not draining; details only in the log). */
export function registerHealthRoutes(app: FastifyInstance, options: { checks: Record<string, DependencyCheck>; timeoutMs: number; isDraining: () => boolean; logger: Logger }): void {
  const probe = createReadinessProbe(options.checks, options);
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/ready', async (_request, reply) => {
    const answer = await probe();
    return reply.code(answer.status).send(answer.body);
  });
}
