import { describeIssues, LIMITS, WorkflowExecuteBody, type WorkflowRun } from '@mcp/contracts';
import { HttpError, httpStatusOfGrpc } from '@mcp/service-kit';
import type { FastifyInstance } from 'fastify';
import { outageCodeOfStepError } from '../services/steps/model-inference.step';
import { IdempotencyConflictError } from '../services/idempotency';
import { RunStoreUnavailableError } from '../services/run-store';
import type { WorkflowService } from '../services/workflow.service';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** Printable ASCII without spaces, 1-128 characters (a UUID, a ULID, an opaque token). */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;

function idempotencyKeyOf(header: string | string[] | undefined): { key?: string; problem?: string } {
  if (header === undefined) return {};
  if (typeof header === 'string' && IDEMPOTENCY_KEY.test(header)) return { key: header };
  return { problem: 'Idempotency-Key header: must be one value of 1-128 visible ASCII characters (no spaces)' };
}

/** Service errors as the HTTP answers a client can act on. */
function toHttpError(error: unknown): unknown {
  if (error instanceof RunStoreUnavailableError) return new HttpError(503, 'run store unavailable: the run cannot be recorded, try again later');
  if (error instanceof IdempotencyConflictError) return new HttpError(422, error.message);
  return error;
}

/**
 * A run that failed because the model-router was down or too slow is an outage of a dependency, not
 * a result: 503 (unavailable) or 504 (deadline passed), so that clients and load balancers retry,
 * while the failed run stays recorded (its id is in `details`). Other failed runs answer 200.
 * The status comes from the one gRPC → HTTP table (`httpStatusOfGrpc`).
 */
export function routerOutageStatus(run: WorkflowRun): number | undefined {
  if (run.status !== 'failed') return undefined;
  const failed = run.steps.find((step) => step.status === 'failed');
  if (failed?.type !== 'model_inference' || failed.error === undefined) return undefined;
  const code = outageCodeOfStepError(failed.error);
  return code === undefined ? undefined : httpStatusOfGrpc(code);
}

/** POST /workflows/execute and GET /workflows/runs/:id. */
export function registerWorkflowRoutes(app: FastifyInstance, service: WorkflowService): void {
  app.post('/workflows/execute', async (request, reply) => {
    const { key, problem } = idempotencyKeyOf(request.headers[IDEMPOTENCY_HEADER]);
    if (request.body === undefined || request.body === null) {
      throw new HttpError(400, 'invalid request', ['body: required: a JSON object (Content-Type: application/json)', ...(problem ? [problem] : [])]);
    }
    const parsed = WorkflowExecuteBody.safeParse(request.body);
    const details = [...(parsed.success ? [] : describeIssues(parsed.error)), ...(problem ? [problem] : [])];
    if (!parsed.success || details.length > 0) throw new HttpError(400, 'invalid request', details);

    // Before anything is stored or run: a workflow that may not run is a bad request, not a failed run.
    const notAllowed = service.allowlistProblems(parsed.data);
    if (notAllowed.length > 0) throw new HttpError(400, 'invalid request', notAllowed);

    try {
      const { run, replayed } = await service.execute(parsed.data, key);
      if (replayed) void reply.header('idempotent-replayed', 'true');
      const outage = routerOutageStatus(run);
      if (outage !== undefined) {
        throw new HttpError(outage, run.error ?? 'model-router unavailable', [`run ${run.run_id} is recorded as failed: GET /workflows/runs/${run.run_id}`]);
      }
      return run;
    } catch (error) {
      throw toHttpError(error);
    }
  });

  app.get<{ Params: { id: string } }>('/workflows/runs/:id', async (request) => {
    const { id } = request.params;
    try {
      const run = id.length <= LIMITS.identifierChars ? await service.getRun(id) : undefined;
      if (!run) throw new HttpError(404, `run ${id.slice(0, LIMITS.identifierChars)} not found`);
      return run;
    } catch (error) {
      throw toHttpError(error);
    }
  });
}
