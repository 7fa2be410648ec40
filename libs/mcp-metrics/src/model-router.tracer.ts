import { SpanKind, ValueType, trace } from '@opentelemetry/api';
import type { Attributes, Counter, Histogram, Span, Tracer, UpDownCounter } from '@opentelemetry/api';
import { boundedAttribute, cappedSpanValue, nonNegative } from './bounded-attribute.util';
import type { BoundedAttribute } from './bounded-attribute.util';
import { REQUEST_DURATION_BUCKETS_SECONDS } from '@mcp/contracts';
import { inputMessagesAttribute, readSafely, responseAttributes, routeAnswerUsage } from './gen-ai.attributes';
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_MODEL,
  GEN_AI_DURATION_BUCKETS_SECONDS,
  GEN_AI_OPERATION_NAME_VALUE_TEXT_COMPLETION,
  GEN_AI_PROVIDER_NAME_VALUE_MCP_MODEL_ROUTER,
  GEN_AI_TIME_PER_OUTPUT_TOKEN_BUCKETS_SECONDS,
  GEN_AI_TIME_TO_FIRST_TOKEN_BUCKETS_SECONDS,
  METRIC_GEN_AI_SERVER_REQUEST_DURATION,
  METRIC_GEN_AI_SERVER_TIME_PER_OUTPUT_TOKEN,
  METRIC_GEN_AI_SERVER_TIME_TO_FIRST_TOKEN,
} from './gen-ai.semconv';
import {
  ATTR_ERROR_TYPE,
  ATTR_MCP_CACHE_HIT,
  ATTR_MCP_INFERENCE_SUCCESS,
  ATTR_MCP_MODEL_TYPE,
  ATTR_MCP_OPERATION,
  ATTR_MCP_PROCESSING_TIME_MS,
  ATTR_MCP_PROMPT_LENGTH,
  ATTR_MCP_RESPONSE_LENGTH,
  ATTR_MCP_SERVICE,
  ATTR_MCP_TOKENS_USED,
  MCP_OPERATION_VALUE_MODEL_INFERENCE,
  MCP_SERVICE_VALUE_MODEL_ROUTER,
  METRIC_MCP_ACTIVE_INFERENCES,
  METRIC_MCP_MODEL_CACHE_HITS_TOTAL,
  METRIC_MCP_MODEL_CACHE_MISSES_TOTAL,
  METRIC_MCP_MODEL_INFERENCE_DURATION_SECONDS,
  METRIC_MCP_MODEL_INFERENCE_ERRORS_TOTAL,
  METRIC_MCP_MODEL_INFERENCE_TOTAL,
  METRIC_MCP_MODEL_TOKEN_USAGE_TOTAL,
  SPAN_NAME_MODEL_INFERENCE,
} from './semconv';
import { errorTypeOf, recordSpanFailure, startTimer } from './span-outcome.util';
import { KNOWN_MODEL_TYPES } from './telemetry-options.types';
import { telemetryScope } from './telemetry-scope.util';
import type { InferenceProgress, ModelInferenceOptions, ModelInferenceUsage, ModelRouterTracerOptions } from './model-router.types';

function defaultUsage(result: unknown): ModelInferenceUsage {
  if (typeof result !== 'object' || result === null) return {};
  const { tokens_used, response, processing_time_ms } = result as Record<string, unknown>;
  return {
    ...routeAnswerUsage(result),
    tokensUsed: nonNegative(tokens_used),
    responseLength: typeof response === 'string' ? response.length : undefined,
    processingTimeMs: nonNegative(processing_time_ms),
  };
}

/**
 * Business spans and metrics of the model router (seed §4.1): one `model_inference` span per call, the
 * `mcp_model_*` metrics, and cache hit/miss counters. Construct once per process.
 *
 * The span also carries the GenAI attributes (`gen_ai.operation.name`, `.provider.name`,
 * `.request.model`, `.response.model`, `.usage.*`, `.response.finish_reasons`), and each inference
 * records the GenAI model-server metrics (see gen-ai.semconv.ts for the pinned version).
 */
export class ModelRouterTracer {
  private readonly tracer: Tracer;
  private readonly spanKind: SpanKind;
  private readonly service: string;
  private readonly modelType: BoundedAttribute;
  private readonly errorType: BoundedAttribute;
  private readonly inferenceCounter: Counter;
  private readonly inferenceDuration: Histogram;
  private readonly tokenUsage: Counter;
  private readonly errorCounter: Counter;
  private readonly activeInferences: UpDownCounter;
  private readonly cacheHits: Counter;
  private readonly cacheMisses: Counter;
  private readonly captureContent: boolean;
  private readonly genAiProvider: string;
  private readonly serverRequestDuration: Histogram;
  private readonly serverTimeToFirstToken: Histogram;
  private readonly serverTimePerOutputToken: Histogram;

  constructor(options: ModelRouterTracerOptions = {}) {
    this.service = options.service ?? MCP_SERVICE_VALUE_MODEL_ROUTER;
    const { tracer, meter, maxValues, errorType } = telemetryScope(options, this.service);

    this.tracer = tracer;
    this.spanKind = options.spanKind ?? SpanKind.INTERNAL;
    this.modelType = boundedAttribute({ maxValues, knownValues: options.knownModelTypes ?? KNOWN_MODEL_TYPES });
    this.errorType = errorType;

    this.inferenceCounter = meter.createCounter(METRIC_MCP_MODEL_INFERENCE_TOTAL, {
      description: 'Total number of model inference requests',
      unit: '{request}',
      valueType: ValueType.INT,
    });
    this.inferenceDuration = meter.createHistogram(METRIC_MCP_MODEL_INFERENCE_DURATION_SECONDS, {
      description: 'Model inference duration in seconds',
      unit: 's',
      advice: { explicitBucketBoundaries: [...REQUEST_DURATION_BUCKETS_SECONDS] },
    });
    this.tokenUsage = meter.createCounter(METRIC_MCP_MODEL_TOKEN_USAGE_TOTAL, {
      description: 'Total number of tokens used by models',
      unit: '{token}',
      valueType: ValueType.INT,
    });
    this.errorCounter = meter.createCounter(METRIC_MCP_MODEL_INFERENCE_ERRORS_TOTAL, {
      description: 'Total number of model inference errors',
      unit: '{error}',
      valueType: ValueType.INT,
    });
    this.activeInferences = meter.createUpDownCounter(METRIC_MCP_ACTIVE_INFERENCES, {
      description: 'Number of active model inferences',
      unit: '{request}',
      valueType: ValueType.INT,
    });
    this.cacheHits = meter.createCounter(METRIC_MCP_MODEL_CACHE_HITS_TOTAL, {
      description: 'Total number of model cache hits',
      unit: '{request}',
      valueType: ValueType.INT,
    });
    this.cacheMisses = meter.createCounter(METRIC_MCP_MODEL_CACHE_MISSES_TOTAL, {
      description: 'Total number of model cache misses',
      unit: '{request}',
      valueType: ValueType.INT,
    });

    this.captureContent = options.captureMessageContent ?? false;
    this.genAiProvider = options.genAiProvider ?? GEN_AI_PROVIDER_NAME_VALUE_MCP_MODEL_ROUTER;
    this.serverRequestDuration = meter.createHistogram(METRIC_GEN_AI_SERVER_REQUEST_DURATION, {
      description: 'Generative AI server request duration such as time-to-last byte or last output token.',
      unit: 's',
      advice: { explicitBucketBoundaries: [...GEN_AI_DURATION_BUCKETS_SECONDS] },
    });
    this.serverTimeToFirstToken = meter.createHistogram(METRIC_GEN_AI_SERVER_TIME_TO_FIRST_TOKEN, {
      description: 'Time to generate first token for successful responses.',
      unit: 's',
      advice: { explicitBucketBoundaries: [...GEN_AI_TIME_TO_FIRST_TOKEN_BUCKETS_SECONDS] },
    });
    this.serverTimePerOutputToken = meter.createHistogram(METRIC_GEN_AI_SERVER_TIME_PER_OUTPUT_TOKEN, {
      description: 'Time per output token generated after the first token for successful responses.',
      unit: 's',
      advice: { explicitBucketBoundaries: [...GEN_AI_TIME_PER_OUTPUT_TOKEN_BUCKETS_SECONDS] },
    });
  }

  /**
   * Runs `fn` inside an active `model_inference` span (so spans `fn` starts, such as gRPC or HTTP
   * client calls, nest under it) and records the inference metrics. Resolves or rejects as `fn` does.
   *
   * Only the prompt's length is recorded. Failures count in `mcp_model_inference_total` and the
   * duration histogram too, with `error.type`, so error rates are `errors / total`.
   */
  traceModelInference<T>(
    modelType: string,
    prompt: string | undefined,
    fn: (span: Span, progress: InferenceProgress) => T | Promise<T>,
    options: ModelInferenceOptions<T> = {},
  ): Promise<T> {
    const boundedModel = this.modelType(modelType);
    const metricAttributes: Attributes = {
      [ATTR_MCP_MODEL_TYPE]: boundedModel,
      [ATTR_MCP_SERVICE]: this.service,
    };
    const genAiMetricAttributes: Attributes = {
      [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_TEXT_COMPLETION,
      [ATTR_GEN_AI_PROVIDER_NAME]: this.genAiProvider,
      [ATTR_GEN_AI_REQUEST_MODEL]: boundedModel,
    };
    const spanAttributes: Attributes = {
      // Spans are per request, so the exact (length-capped) model type helps debugging even when the
      // metrics fold it into 'other'.
      [ATTR_MCP_MODEL_TYPE]: cappedSpanValue(modelType),
      [ATTR_MCP_PROMPT_LENGTH]: typeof prompt === 'string' ? prompt.length : 0,
      [ATTR_MCP_OPERATION]: MCP_OPERATION_VALUE_MODEL_INFERENCE,
      [ATTR_MCP_SERVICE]: this.service,
      [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_TEXT_COMPLETION,
      [ATTR_GEN_AI_PROVIDER_NAME]: this.genAiProvider,
      [ATTR_GEN_AI_REQUEST_MODEL]: cappedSpanValue(modelType),
      ...(this.captureContent && typeof prompt === 'string' ? inputMessagesAttribute(prompt) : {}),
    };

    return this.tracer.startActiveSpan(
      SPAN_NAME_MODEL_INFERENCE,
      { kind: options.kind ?? this.spanKind, attributes: spanAttributes },
      async (span: Span): Promise<T> => {
        const elapsedSeconds = startTimer();
        let firstTokenSeconds: number | undefined;
        const progress: InferenceProgress = {
          firstToken: () => {
            firstTokenSeconds ??= elapsedSeconds();
          },
        };
        this.activeInferences.add(1, metricAttributes);
        try {
          const result = await fn(span, progress);
          const usage = readSafely(options.usage ?? defaultUsage, result);
          const tokensUsed = nonNegative(usage.tokensUsed) ?? 0;
          const processingTimeMs = nonNegative(usage.processingTimeMs) ?? 0;

          const seconds = elapsedSeconds();

          this.inferenceCounter.add(1, metricAttributes);
          this.inferenceDuration.record(seconds, metricAttributes);
          if (tokensUsed > 0) this.tokenUsage.add(tokensUsed, metricAttributes);
          this.recordServerMetrics(seconds, firstTokenSeconds, usage, genAiMetricAttributes);

          span.setAttributes({
            [ATTR_MCP_INFERENCE_SUCCESS]: true,
            [ATTR_MCP_RESPONSE_LENGTH]: nonNegative(usage.responseLength) ?? 0,
            [ATTR_MCP_TOKENS_USED]: tokensUsed,
            [ATTR_MCP_PROCESSING_TIME_MS]: processingTimeMs,
            ...responseAttributes(usage, this.captureContent),
          });
          span.addEvent('Model inference completed', {
            [ATTR_MCP_TOKENS_USED]: tokensUsed,
            [ATTR_MCP_PROCESSING_TIME_MS]: processingTimeMs,
          });
          // Status stays UNSET on success: OK is final in the SDK and is meant for an application
          // overriding an instrumentation's verdict, not for every successful call.
          return result;
        } catch (error) {
          const errorType = this.errorType(errorTypeOf(error));
          const failedAttributes: Attributes = { ...metricAttributes, [ATTR_ERROR_TYPE]: errorType };
          const seconds = elapsedSeconds();
          this.inferenceCounter.add(1, failedAttributes);
          this.inferenceDuration.record(seconds, failedAttributes);
          this.serverRequestDuration.record(seconds, { ...genAiMetricAttributes, [ATTR_ERROR_TYPE]: errorType });
          this.errorCounter.add(1, failedAttributes);
          span.setAttribute(ATTR_MCP_INFERENCE_SUCCESS, false);
          // The seed's 'Model inference failed' event with the message is left out: the exception
          // event recorded here already carries type, message and stack.
          recordSpanFailure(span, error, errorType);
          throw error;
        } finally {
          this.activeInferences.add(-1, metricAttributes);
          span.end();
        }
      },
    );
  }

  /**
   * The GenAI model-server metrics of a successful inference: the request duration always; time to
   * first token and per output token when the model's loop marked its first token (streamed answers).
   */
  private recordServerMetrics(seconds: number, firstTokenSeconds: number | undefined, usage: Partial<ModelInferenceUsage>, attributes: Attributes): void {
    const withResponse: Attributes =
      usage.responseModel === undefined ? attributes : { ...attributes, [ATTR_GEN_AI_RESPONSE_MODEL]: this.modelType(usage.responseModel) };
    this.serverRequestDuration.record(seconds, withResponse);
    if (firstTokenSeconds === undefined) return;
    this.serverTimeToFirstToken.record(firstTokenSeconds, withResponse);
    const outputTokens = nonNegative(usage.outputTokens) ?? 0;
    // Per token after the first: the decode phase alone.
    if (outputTokens > 1) this.serverTimePerOutputToken.record((seconds - firstTokenSeconds) / (outputTokens - 1), withResponse);
  }

  /** Counts a cache hit and marks the active span (the request's) with `mcp.cache_hit=true`. */
  recordCacheHit(modelType: string): void {
    this.cacheHits.add(1, { [ATTR_MCP_MODEL_TYPE]: this.modelType(modelType), [ATTR_MCP_SERVICE]: this.service });
    trace.getActiveSpan()?.setAttribute(ATTR_MCP_CACHE_HIT, true);
  }

  /** Counts a cache miss and marks the active span (the request's) with `mcp.cache_hit=false`. */
  recordCacheMiss(modelType: string): void {
    this.cacheMisses.add(1, { [ATTR_MCP_MODEL_TYPE]: this.modelType(modelType), [ATTR_MCP_SERVICE]: this.service });
    trace.getActiveSpan()?.setAttribute(ATTR_MCP_CACHE_HIT, false);
  }
}
