import { Router } from 'express';
import { createReadinessProbe } from '@mcp/service-kit';
import type { DependencyCheck, Logger } from '@mcp/service-kit';

export interface HealthRoutesOptions {
  /** Real dependencies only (an embedded cache or ledger has nothing to check). */
  checks: Record<string, DependencyCheck>;
  timeoutMs: number;
  isDraining: () => boolean;
  /** Where /ready's details go (which dependency failed and how): the answer carries none. */
  logger: Logger;
}

/** `GET /health`: the process answers (no dependency checks). `GET /ready`: every dependency answers, and we are not draining. */
export function healthRoutes(options: HealthRoutesOptions): Router {
  const router = Router();
  const probe = createReadinessProbe(options.checks, options);
  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/ready', async (_req, res) => {
    // Untraced with all its dependency checks: /ready is one of the bootstrap's ignored paths.
    const answer = await probe();
    res.status(answer.status).json(answer.body);
  });
  return router;
}
