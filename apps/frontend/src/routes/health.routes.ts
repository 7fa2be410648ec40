import { Router } from 'express';
import { checkReadiness } from '@mcp/service-kit';
import type { DependencyCheck } from '@mcp/service-kit';
import { withoutTracing } from '@mcp/otel-bootstrap';

export interface HealthRoutesOptions {
  /** Real dependencies only (an embedded cache or ledger has nothing to check). */
  checks: Record<string, DependencyCheck>;
  timeoutMs: number;
  isDraining: () => boolean;
}

/** `GET /health`: the process answers (no dependency checks). `GET /ready`: every dependency answers, and we are not draining. */
export function healthRoutes(options: HealthRoutesOptions): Router {
  const router = Router();
  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/ready', async (_req, res) => {
    const report = await withoutTracing(() => checkReadiness(options.checks, { timeoutMs: options.timeoutMs, draining: options.isDraining() }));
    res.status(report.ready ? 200 : 503).json(report);
  });
  return router;
}
