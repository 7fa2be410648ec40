import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import type { ErrorBody, RouteResponseBody, WorkflowExecuteBody, WorkflowRun } from '@mcp/contracts';

export const tracer = trace.getTracer('web');

/** What the page shows of a failed call: the message, per-field details and the trace id. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: string[] = [],
    readonly traceId?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * Runs `fn` in an active INTERNAL span (the user's action), so the fetch it starts is that span's child
 * and carries its traceparent. `fn` must call fetch before its first await: the browser's stack
 * context manager only sees the synchronous part.
 */
export function userAction<T>(name: string, attributes: Attributes, fn: () => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { kind: SpanKind.INTERNAL, attributes }, (span) => {
    let pending: Promise<T>;
    try {
      pending = fn();
    } catch (error) {
      pending = Promise.reject(error);
    }
    return pending.then(
      (value) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        span.end();
        throw error;
      },
    );
  });
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError(response.status, `unexpected answer (${response.status})`);
  }
}

function failure(status: number, body: unknown): ApiError {
  const error = (body ?? {}) as Partial<ErrorBody>;
  return new ApiError(status, typeof error.error === 'string' ? error.error : `request failed with ${status}`, Array.isArray(error.details) ? error.details : [], error.trace_id);
}

/** POST JSON; resolves with the body of a 2xx, rejects with an ApiError otherwise. fetch runs synchronously. */
export function postJson<T>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
  const request = fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', ...headers }, body: JSON.stringify(body) });
  return request.then(async (response) => {
    const parsed = await readJson(response);
    if (!response.ok) throw failure(response.status, parsed);
    return parsed as T;
  });
}

export interface ModelSummary {
  name: string;
  description: string;
  typicalLatencyMs: number;
}

/** `ListModels` through the frontend's GraphQL `models`. */
export function listModels(): Promise<ModelSummary[]> {
  return postJson<{ data?: { models?: ModelSummary[] }; errors?: Array<{ message: string }> }>('/graphql', { query: '{ models { name description typicalLatencyMs } }' }).then((body) => {
    if (body.errors?.length) throw new ApiError(200, body.errors.map((e) => e.message).join('; '));
    return body.data?.models ?? [];
  });
}

export function sendPrompt(body: { model_type: string; prompt: string; user_id?: string }): Promise<RouteResponseBody> {
  return userAction('send prompt', { 'mcp.model_type': body.model_type, 'mcp.prompt_length': body.prompt.length }, () => postJson<RouteResponseBody>('/api/route', body));
}

export function runWorkflow(body: WorkflowExecuteBody): Promise<WorkflowRun> {
  return userAction('run workflow', { 'mcp.workflow_type': body.workflow_type, 'mcp.workflow_steps': body.steps.length }, () =>
    postJson<WorkflowRun>('/api/workflow/execute', body, { 'idempotency-key': crypto.randomUUID() }),
  );
}
