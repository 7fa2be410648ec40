import { randomUUID } from 'node:crypto';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { z } from 'zod';
import { RouteRequestBody, describeIssues } from '@mcp/contracts';
import type { ModelInfo, RouteResponseBody } from '@mcp/contracts';
import { ATTR_MCP_CACHE_HIT, ATTR_MCP_MODEL_TYPE, ATTR_MCP_PROMPT_LENGTH, ATTR_MCP_TOKENS_USED } from '@mcp/mcp-metrics';
import type { BusinessMetrics, ModelClientTracer, ModelRouterTracer } from '@mcp/mcp-metrics';
import { HttpError, currentTraceId, httpStatusOfGrpc } from '@mcp/service-kit';
import type { Logger } from 'pino';
import { routeCacheKey } from '../cache/answer-cache';
import type { AnswerCache } from '../cache/answer-cache';
import { isGrpcError } from '../clients/model-router.gateway';
import type { ModelRouterGateway } from '../clients/model-router.gateway';
import type { UsageLedger } from '../ledger/usage-ledger';
import type { FrontendMetrics } from '../telemetry/frontend.metrics';
import { ATTR_MCP_CACHE_OPERATION, EVENT_CACHE_BYPASSED } from '../telemetry/semconv';

/** What is cached per (model, prompt): the model's answer and its usage, not the per-request fields. */
const CachedAnswer = z.object({
  model_type: z.string(),
  response: z.string(),
  tokens_used: z.number().int().min(0),
  prompt_tokens: z.number().int().min(0),
  completion_tokens: z.number().int().min(0),
  processing_time_ms: z.number().min(0),
  cost_usd: z.number().min(0),
  timestamp: z.string(),
});
type CachedAnswer = z.infer<typeof CachedAnswer>;

export interface RouteServiceOptions {
  cache: AnswerCache;
  ledger: UsageLedger;
  modelRouter: ModelRouterGateway;
  routerTracer: ModelRouterTracer;
  /** Wraps each model-router call in the GenAI client span and metrics. */
  modelClient: ModelClientTracer;
  business: BusinessMetrics;
  metrics: FrontendMetrics;
  logger: Logger;
  cacheKeyPrefix: string;
  cacheTtlSeconds: number;
  modelRouterDeadlineMs: number;
}

export interface RouteService {
  /**
   * Validates `input` with `RouteRequestBody` (400 naming each bad field), then answers from the
   * cache or the model-router. The `mcp.*` attributes go on the active span: for REST the HTTP
   * SERVER span (Express layers make no spans of their own).
   */
  route(input: unknown): Promise<RouteResponseBody>;
  listModels(): Promise<ModelInfo[]>;
}

/** Keeps span attribute values short: model names come from request bodies. */
const capped = (value: string): string => (value.length > 64 ? value.slice(0, 64) : value);

/**
 * The model-router's failure as the client should read it: the status from the one gRPC → HTTP
 * table (`httpStatusOfGrpc`), a message saying what to do; never a bare 500.
 */
export function modelRouterError(error: unknown, modelType: string | undefined, deadlineMs: number): Error {
  if (!isGrpcError(error)) return error instanceof Error ? error : new Error(String(error));
  const status = httpStatusOfGrpc(error.code);
  switch (error.code) {
    case GrpcStatus.NOT_FOUND:
      return new HttpError(status, error.details || `unknown model_type "${modelType ?? ''}"`);
    case GrpcStatus.INVALID_ARGUMENT:
    case GrpcStatus.OUT_OF_RANGE:
    case GrpcStatus.FAILED_PRECONDITION:
      return new HttpError(status, 'invalid request', [error.details || 'rejected by the model-router']);
    case GrpcStatus.DEADLINE_EXCEEDED:
      return new HttpError(status, `model-router did not answer within ${deadlineMs} ms`);
    case GrpcStatus.UNAVAILABLE:
      return new HttpError(status, 'model-router is unavailable; try again later');
    case GrpcStatus.RESOURCE_EXHAUSTED:
      return new HttpError(status, 'model-router is overloaded; try again later');
    default:
      return new HttpError(status, `model-router failed (${GrpcStatus[error.code] ?? error.code})`);
  }
}

/**
 * The one implementation of "route a prompt" behind both transports (REST `/api/route` and GraphQL
 * `route`): validate, cache lookup, model-router on a miss, cache write, usage row, business metrics.
 */
export function createRouteService(options: RouteServiceOptions): RouteService {
  const { cache, ledger, modelRouter, routerTracer, modelClient, business, metrics, logger } = options;

  async function readCache(key: string, span: Span | undefined): Promise<{ answer: CachedAnswer | null; bypassed: boolean }> {
    let raw: string | null;
    try {
      raw = await cache.get(key);
    } catch (error) {
      bypass('get', error, span);
      return { answer: null, bypassed: true };
    }
    if (raw === null) return { answer: null, bypassed: false };
    try {
      const parsed = CachedAnswer.safeParse(JSON.parse(raw));
      if (parsed.success) return { answer: parsed.data, bypassed: false };
    } catch {
      // fall through: an unreadable entry is a miss, and the fresh answer overwrites it
    }
    logger.warn({ cache_backend: cache.backend }, 'unreadable cache entry ignored');
    return { answer: null, bypassed: false };
  }

  async function writeCache(key: string, answer: CachedAnswer, span: Span | undefined): Promise<void> {
    try {
      await cache.set(key, JSON.stringify(answer), options.cacheTtlSeconds);
    } catch (error) {
      bypass('set', error, span);
    }
  }

  function bypass(operation: 'get' | 'set', error: unknown, span: Span | undefined): void {
    metrics.recordCacheBypass(operation, cache.backend, error);
    span?.addEvent(EVENT_CACHE_BYPASSED, { [ATTR_MCP_CACHE_OPERATION]: operation });
    logger.warn({ cache_backend: cache.backend, operation, err: { message: error instanceof Error ? error.message : String(error) } }, 'cache unavailable; answering without it');
  }

  async function callModelRouter(input: RouteRequestBody): Promise<CachedAnswer> {
    try {
      const answer = await modelClient.traceCompletion(input.model_type, input.prompt, () =>
        modelRouter.route({ model_type: input.model_type, prompt: input.prompt, user_id: input.user_id ?? '' }, options.modelRouterDeadlineMs),
      );
      return {
        model_type: answer.model_type || input.model_type,
        response: answer.response,
        tokens_used: answer.tokens_used,
        prompt_tokens: answer.prompt_tokens,
        completion_tokens: answer.completion_tokens,
        processing_time_ms: answer.processing_time_ms,
        cost_usd: answer.cost_usd,
        timestamp: new Date().toISOString(),
      };
    } catch (error) {
      throw modelRouterError(error, input.model_type, options.modelRouterDeadlineMs);
    }
  }

  async function writeLedger(input: RouteRequestBody, answer: CachedAnswer, cached: boolean, traceId: string | undefined): Promise<void> {
    try {
      await ledger.record({
        id: randomUUID(),
        user_id: input.user_id ?? null,
        model_type: input.model_type,
        prompt_tokens: answer.prompt_tokens,
        completion_tokens: answer.completion_tokens,
        tokens_used: answer.tokens_used,
        cost_usd: cached ? 0 : answer.cost_usd,
        cached,
        trace_id: traceId ?? null,
        created_at: new Date(),
      });
    } catch (error) {
      // No answer is served without its usage row. A PostgreSQL outage does not land here (the outbox
      // keeps the row and retries); only a full outbox, filled while this request ran, or the embedded
      // ledger failing does: the request fails rather than being served unrecorded.
      metrics.recordLedgerWriteFailure(error);
      logger.error({ ledger_backend: ledger.backend, err: { message: error instanceof Error ? error.message : String(error) } }, 'usage row not written; request refused');
      throw new HttpError(503, 'usage ledger is unavailable; try again later');
    }
  }

  return {
    async route(rawInput) {
      const parsed = RouteRequestBody.safeParse(rawInput);
      if (!parsed.success) throw new HttpError(400, 'invalid request', describeIssues(parsed.error));
      const input = parsed.data;
      const span = trace.getActiveSpan();
      span?.setAttributes({ [ATTR_MCP_MODEL_TYPE]: capped(input.model_type), [ATTR_MCP_PROMPT_LENGTH]: input.prompt.length });

      // The ledger cannot keep another row (PostgreSQL down and the outbox full): refuse before any work.
      if (ledger.canAccept && !ledger.canAccept()) throw new HttpError(503, 'usage ledger is unavailable; try again later');

      const key = routeCacheKey(options.cacheKeyPrefix, input.model_type, input.prompt);
      const lookup = await readCache(key, span);
      let answer: CachedAnswer;
      const cached = lookup.answer !== null;
      if (lookup.answer !== null) {
        answer = lookup.answer;
        routerTracer.recordCacheHit(input.model_type);
      } else {
        answer = await callModelRouter(input);
        // A bypassed lookup is not a miss: mcp_model_cache_misses_total counts what the cache did not
        // have. Counted once the router answered, so a model name it rejects (NOT_FOUND) never becomes
        // a value of the model attribute (a flood of invented names would otherwise fill its bound).
        if (!lookup.bypassed) routerTracer.recordCacheMiss(input.model_type);
        if (!lookup.bypassed) await writeCache(key, answer, span);
      }
      span?.setAttributes({ [ATTR_MCP_CACHE_HIT]: cached, [ATTR_MCP_TOKENS_USED]: answer.tokens_used });

      const traceId = currentTraceId();
      await writeLedger(input, answer, cached, traceId);
      if (!cached) business.recordUserCost(input.user_id ?? '', answer.cost_usd, input.model_type, input.user_id === undefined ? 'anonymous' : 'identified');
      logger.info({ model_type: capped(input.model_type), prompt_length: input.prompt.length, cached, cache_bypassed: lookup.bypassed, tokens_used: answer.tokens_used }, 'route answered');

      return {
        model_type: answer.model_type,
        response: answer.response,
        tokens_used: answer.tokens_used,
        processing_time_ms: answer.processing_time_ms,
        cached,
        timestamp: answer.timestamp,
        ...(traceId !== undefined ? { trace_id: traceId } : {}),
      };
    },

    async listModels() {
      try {
        const { models } = await modelRouter.listModels(options.modelRouterDeadlineMs);
        return models;
      } catch (error) {
        throw modelRouterError(error, undefined, options.modelRouterDeadlineMs);
      }
    },
  };
}
