import { LIMITS } from '@mcp/contracts';
import { HttpError, readBodyCapped } from '@mcp/service-kit';

/** An answer of the orchestrator, passed on as is: status, content type, raw body and the headers worth keeping. */
export interface UpstreamAnswer {
  status: number;
  contentType: string;
  body: string;
  /** Of {@link PASSED_HEADERS}, those the orchestrator sent. */
  headers: Record<string, string>;
}

/** Upstream headers a client can act on: whether an Idempotency-Key replayed an earlier run. */
export const PASSED_HEADERS = ['idempotent-replayed'] as const;

export interface OrchestratorClient {
  /** `POST /workflows/execute`. Resolves with any 2xx/4xx answer; rejects with an HttpError (502/503/504) otherwise. */
  executeWorkflow(body: unknown, idempotencyKey: string | undefined): Promise<UpstreamAnswer>;
  /** `GET /workflows/runs/:id`, likewise. */
  getRun(runId: string): Promise<UpstreamAnswer>;
  /** `GET /health` (readiness). */
  checkHealth(timeoutMs: number): Promise<void>;
}

export interface OrchestratorClientOptions {
  /** Base URL, no trailing slash. */
  baseUrl: string;
  /** Bound on each call (WORKFLOW_TIMEOUT_MS). */
  timeoutMs: number;
}

const NAME = 'workflow-orchestrator';

/** Why a fetch failed, as one readable line: the undici cause (ECONNREFUSED) rather than "fetch failed". */
function causeOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    if (cause instanceof Error) return (cause as NodeJS.ErrnoException).code ?? cause.message;
    return error.message;
  }
  return String(error);
}

function upstreamMessage(answer: UpstreamAnswer): string {
  try {
    const parsed = JSON.parse(answer.body) as { error?: unknown };
    if (typeof parsed.error === 'string') return `: ${parsed.error.slice(0, 200)}`;
  } catch {
    // not JSON: the status says enough
  }
  return '';
}

export function createOrchestratorClient(options: OrchestratorClientOptions): OrchestratorClient {
  async function call(method: 'GET' | 'POST', path: string, init: { body?: string; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<UpstreamAnswer> {
    const timeoutMs = init.timeoutMs ?? options.timeoutMs;
    let answer: UpstreamAnswer;
    try {
      const response = await fetch(`${options.baseUrl}${path}`, {
        method,
        headers: { accept: 'application/json', ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
        body: init.body,
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'manual',
      });
      const headers: Record<string, string> = {};
      for (const name of PASSED_HEADERS) {
        const value = response.headers.get(name);
        if (value !== null) headers[name] = value;
      }
      // Bounded: an answer larger than any run can be is a broken upstream, not something to buffer.
      const body = await readBodyCapped(response, LIMITS.workflowRunAnswerBytes);
      if (body === undefined) throw new HttpError(502, `${NAME} answered more than ${LIMITS.workflowRunAnswerBytes} bytes`);
      answer = { status: response.status, contentType: response.headers.get('content-type') ?? 'application/json; charset=utf-8', body, headers };
    } catch (error) {
      if (error instanceof HttpError) throw error;
      if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
        throw new HttpError(504, `${NAME} did not answer within ${timeoutMs} ms`);
      }
      throw new HttpError(503, `${NAME} is unavailable (${causeOf(error)})`);
    }
    if (answer.status < 500) return answer;
    // Its own 503/504 (a store or the model-router down or slow) keep their meaning; any other 5xx is a bad gateway.
    const status = answer.status === 503 || answer.status === 504 ? answer.status : 502;
    throw new HttpError(status, `${NAME} failed with ${answer.status}${upstreamMessage(answer)}`);
  }

  return {
    executeWorkflow: (body, idempotencyKey) =>
      call('POST', '/workflows/execute', { body: JSON.stringify(body), headers: idempotencyKey !== undefined ? { 'idempotency-key': idempotencyKey } : {} }),
    getRun: (runId) => call('GET', `/workflows/runs/${encodeURIComponent(runId)}`),
    checkHealth: async (timeoutMs) => {
      const answer = await call('GET', '/health', { timeoutMs });
      if (answer.status !== 200) throw new Error(`${NAME} /health answered ${answer.status}`);
    },
  };
}
