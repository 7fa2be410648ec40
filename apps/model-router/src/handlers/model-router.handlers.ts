import { once } from 'node:events';
import type * as grpc from '@grpc/grpc-js';
import { RouteRequestBody, describeIssues } from '@mcp/contracts';
import type { ListModelsResponse, RouteChunk, RouteRequest, RouteResponse } from '@mcp/contracts';
import type { BusinessMetrics, InferenceProgress, ModelRouterTracer } from '@mcp/mcp-metrics';
import type { Logger } from 'pino';
import { trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import type { InferencePlan, InferenceService } from '../services/inference.service.js';
import { ModelRouterError, toRouterError } from '../services/model-router.errors.js';

/** What the ModelRouter handlers need; built once per process in app.ts. */
export interface ModelRouterHandlerDeps {
  inference: InferenceService;
  tracer: ModelRouterTracer;
  business: BusinessMetrics;
  logger: Logger;
}

/** `error.type` of the stable semantic conventions (set on the gRPC SERVER span of a failed call). */
const ATTR_ERROR_TYPE = 'error.type';
/** Longest model name echoed in logs: the value comes from the caller. */
const LOGGED_NAME_CHARS = 64;

/** What every server call has (grpc-js does not export its `ServerSurfaceCall` type from the index). */
type SurfaceCall = Pick<grpc.ServerUnaryCall<unknown, unknown>, 'cancelled' | 'getDeadline' | 'once'>;

/**
 * The request as the contracts define it (same rules as the frontend's POST /api/route), or
 * INVALID_ARGUMENT naming every bad field. proto3 sends an unset field as '', so an empty user_id is
 * "not given".
 */
function parseRouteRequest(request: RouteRequest): { model_type: string; prompt: string } {
  const parsed = RouteRequestBody.safeParse({
    model_type: request.model_type,
    prompt: request.prompt,
    user_id: request.user_id === '' ? undefined : request.user_id,
  });
  if (!parsed.success) throw new ModelRouterError('INVALID_ARGUMENT', `invalid request: ${describeIssues(parsed.error).join('; ')}`);
  return parsed.data;
}

function deadlinePassed(call: SurfaceCall): boolean {
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  // The server's deadline timer may fire a hair before Date.now() reaches it.
  return Number.isFinite(ms) && Date.now() >= ms - 5;
}

/**
 * Aborts when the call is cancelled: by the client, by its deadline (grpc-js has then already sent
 * DEADLINE_EXCEEDED) or by a forced shutdown. The simulated latency listens to it and stops.
 */
function callSignal(call: SurfaceCall): AbortSignal {
  const controller = new AbortController();
  const abort = (): void => {
    controller.abort(
      deadlinePassed(call)
        ? new ModelRouterError('DEADLINE_EXCEEDED', 'deadline exceeded before the model answered')
        : new ModelRouterError('CANCELLED', 'call cancelled before the model answered'),
    );
  };
  if (call.cancelled) abort();
  else call.once('cancelled', abort);
  return controller.signal;
}

/** The error grpc-js turns into the call's status (name/message also feed the instrumentation's span). */
function toServiceError(failure: ModelRouterError): grpc.ServerErrorResponse {
  return { name: failure.code, message: failure.message, code: failure.grpcStatus, details: failure.message };
}

/** Writes one chunk, waiting for 'drain' when the client reads slower than we write; stops on cancel. */
async function writeChunk(call: grpc.ServerWritableStream<RouteRequest, RouteChunk>, chunk: RouteChunk, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  if (!call.write(chunk)) await once(call, 'drain', { signal }).catch(() => signal.throwIfAborted());
}

export function modelRouterHandlers({ inference, tracer, business, logger }: ModelRouterHandlerDeps): grpc.UntypedServiceImplementation {
  const elapsedSince = (start: number): number => Math.round((performance.now() - start) * 100) / 100;

  /** One line per call: model, token counts, duration and gRPC status; prompt length, never its text. */
  const logCall = (rpc: string, request: RouteRequest, start: number, outcome: { plan?: InferencePlan; failure?: ModelRouterError }): void => {
    const { plan, failure } = outcome;
    const fields = {
      rpc,
      model_type: request.model_type.slice(0, LOGGED_NAME_CHARS),
      prompt_length: request.prompt.length,
      ...(plan && !failure
        ? { prompt_tokens: plan.promptTokens, completion_tokens: plan.completionTokens, tokens_used: plan.tokensUsed, cost_usd: plan.costUsd }
        : {}),
      duration_ms: elapsedSince(start),
      grpc_status: failure?.code ?? 'OK',
      ...(failure ? { error: failure.message } : {}),
    };
    if (!failure) logger.info(fields, 'rpc completed');
    else if (failure.code === 'INVALID_ARGUMENT' || failure.code === 'NOT_FOUND') logger.info(fields, 'rpc rejected');
    else if (failure.code === 'INTERNAL') logger.error(fields, 'rpc failed');
    else logger.warn(fields, 'rpc failed');
  };

  /** Validation, model lookup and plan: client mistakes are answered here, before any inference. */
  const prepare = (rpc: string, request: RouteRequest): { plan: InferencePlan; prompt: string } => {
    const { model_type, prompt } = parseRouteRequest(request);
    const model = inference.resolveModel(model_type);
    inference.checkPrompt(model, prompt);
    logger.debug({ rpc, model_type: model.name, prompt_length: prompt.length }, 'rpc started');
    return { plan: inference.plan(model, prompt), prompt };
  };

  const markFailed = (serverSpan: Span | undefined, failure: ModelRouterError): void => {
    serverSpan?.setAttribute(ATTR_ERROR_TYPE, failure.code);
  };

  /**
   * One inference call, unary or streaming: validation and plan, the `model_inference` span, the
   * business metrics and one log line; `run` produces the result, `answer`/`fail` send it the way
   * the call's kind sends things.
   */
  const serveInference = <T extends { response: string; processing_time_ms: number }>(
    rpc: 'Route' | 'StreamRoute',
    call: SurfaceCall & { request: RouteRequest },
    run: (plan: InferencePlan, signal: AbortSignal, progress: InferenceProgress) => Promise<T>,
    answer: (result: T) => void,
    fail: (error: grpc.ServerErrorResponse) => void,
  ): void => {
    const start = performance.now();
    // The instrumentation's SERVER span of this call; captured before the first await.
    const serverSpan = trace.getActiveSpan();
    const signal = callSignal(call);
    let plan: InferencePlan | undefined;
    void (async () => {
      try {
        const prepared = prepare(rpc, call.request);
        plan = prepared.plan;
        const activePlan = plan;
        const result = await tracer.traceModelInference(activePlan.model.name, prepared.prompt, (_span, progress) => run(activePlan, signal, progress));
        business.recordContentGeneration(activePlan.model.name, result.processing_time_ms / 1000, result.response.length, activePlan.costUsd);
        logCall(rpc, call.request, start, { plan });
        answer(result);
      } catch (error) {
        const failure = toRouterError(error);
        markFailed(serverSpan, failure);
        logCall(rpc, call.request, start, { plan, failure });
        fail(toServiceError(failure));
      }
    })();
  };

  return {
    Route: (call: grpc.ServerUnaryCall<RouteRequest, RouteResponse>, callback: grpc.sendUnaryData<RouteResponse>) =>
      serveInference(
        'Route',
        call,
        (plan, signal) => inference.infer(plan, signal),
        (response) => callback(null, response),
        // For a cancelled call grpc-js sends nothing more (its deadline status is already out); the
        // callback still runs so the instrumentation ends the SERVER span with the status.
        (error) => callback(error),
      ),

    StreamRoute: (call: grpc.ServerWritableStream<RouteRequest, RouteChunk>) =>
      serveInference(
        'StreamRoute',
        call,
        async (plan, signal, progress) => {
          let processingTimeMs = 0;
          for await (const chunk of inference.stream(plan, signal)) {
            await writeChunk(call, chunk, signal);
            // The first chunk on the wire is the caller's first token (gen_ai.server.time_to_first_token).
            progress.firstToken();
            if (chunk.done) processingTimeMs = chunk.processing_time_ms;
          }
          return {
            model_type: plan.model.name,
            tokens_used: plan.tokensUsed,
            prompt_tokens: plan.promptTokens,
            completion_tokens: plan.completionTokens,
            response: plan.response,
            processing_time_ms: processingTimeMs,
          };
        },
        () => call.end(),
        // grpc-js turns an 'error' event into the call's status (nothing is written once cancelled).
        (error) => call.emit('error', error),
      ),

    ListModels: (_call: grpc.ServerUnaryCall<Record<string, never>, ListModelsResponse>, callback: grpc.sendUnaryData<ListModelsResponse>) => {
      const start = performance.now();
      const models = inference.listModels();
      logger.info({ rpc: 'ListModels', models: models.length, duration_ms: elapsedSince(start), grpc_status: 'OK' }, 'rpc completed');
      callback(null, { models });
    },
  };
}
