import { z } from 'zod';
import { LIMITS, WorkflowExecuteBody, describeIssues } from '@mcp/contracts';
import { HttpError } from '@mcp/service-kit';
import type { OrchestratorClient, UpstreamAnswer } from '../clients/orchestrator.client';

/** An `Idempotency-Key` we pass on: printable ASCII, bounded. */
const IdempotencyKey = z
  .string()
  .min(1, 'must not be empty')
  .max(LIMITS.identifierChars, `must be at most ${LIMITS.identifierChars} characters`)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

/** A run id in a path: one of the orchestrator's ids, so short and without separators. */
const RunId = z
  .string()
  .min(1, 'must not be empty')
  .max(LIMITS.identifierChars, `must be at most ${LIMITS.identifierChars} characters`)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'may contain only letters, digits, _ . : -');

export interface WorkflowService {
  /**
   * Validates `body` with `WorkflowExecuteBody` (400 here, nothing forwarded) and forwards it as it
   * came, with its `Idempotency-Key`. Resolves with the orchestrator's 2xx/4xx answer as is.
   */
  execute(body: unknown, idempotencyKey: string | undefined): Promise<UpstreamAnswer>;
  getRun(runId: unknown): Promise<UpstreamAnswer>;
}

export function createWorkflowService(orchestrator: OrchestratorClient): WorkflowService {
  return {
    async execute(body, idempotencyKey) {
      const problems: string[] = [];
      const parsed = WorkflowExecuteBody.safeParse(body);
      if (!parsed.success) problems.push(...describeIssues(parsed.error));
      if (idempotencyKey !== undefined) {
        const key = IdempotencyKey.safeParse(idempotencyKey);
        if (!key.success) problems.push(...describeIssues(key.error).map((line) => `Idempotency-Key: ${line}`));
      }
      if (problems.length > 0) throw new HttpError(400, 'invalid request', problems);
      return orchestrator.executeWorkflow(body, idempotencyKey);
    },

    async getRun(runId) {
      const parsed = RunId.safeParse(runId);
      if (!parsed.success) throw new HttpError(400, 'invalid request', describeIssues(parsed.error).map((line) => `id: ${line}`));
      return orchestrator.getRun(parsed.data);
    },
  };
}
