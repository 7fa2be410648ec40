import { Router } from 'express';
import type { Response } from 'express';
import type { UpstreamAnswer } from '../clients/orchestrator.client';
import type { WorkflowService } from '../services/workflow.service';
import { requireJson } from '../http/errors.middleware';

/** A run's answer holds its inputs and outputs: never kept by a browser or proxy cache. */
function passThrough(res: Response, answer: UpstreamAnswer): void {
  res.status(answer.status).set(answer.headers).set('cache-control', 'no-store').type(answer.contentType).send(answer.body);
}

/** `POST /api/workflow/execute` and `GET /api/workflow/runs/:id`, forwarded to the orchestrator. */
export function workflowRoutes(service: WorkflowService): Router {
  const router = Router();
  router.post('/workflow/execute', requireJson, async (req, res) => {
    passThrough(res, await service.execute(req.body, req.get('idempotency-key')));
  });
  router.get('/workflow/runs/:id', async (req, res) => {
    passThrough(res, await service.getRun(req.params.id));
  });
  return router;
}
