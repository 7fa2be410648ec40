import { SpanKind } from '@opentelemetry/api';
import type { Attributes, Histogram, Span, Tracer } from '@opentelemetry/api';
import { boundedAttribute, cappedSpanValue, nonNegative } from './bounded-attribute.util';
import type { BoundedAttribute } from './bounded-attribute.util';
import { inputMessagesAttribute, readSafely, responseAttributes, routeAnswerUsage } from './gen-ai.attributes';
import type { GenAiUsage } from './gen-ai.attributes';
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_TOKEN_TYPE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  GEN_AI_DURATION_BUCKETS_SECONDS,
  GEN_AI_OPERATION_NAME_VALUE_TEXT_COMPLETION,
  GEN_AI_PROVIDER_NAME_VALUE_MCP_MODEL_ROUTER,
  GEN_AI_TOKEN_TYPE_VALUE_INPUT,
  GEN_AI_TOKEN_TYPE_VALUE_OUTPUT,
  GEN_AI_TOKEN_USAGE_BUCKETS,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
} from './gen-ai.semconv';
import { ATTR_ERROR_TYPE } from './semconv';
import { errorTypeOf, recordSpanFailure, startTimer } from './span-outcome.util';
import { KNOWN_MODEL_TYPES } from './telemetry-options.types';
import type { McpTelemetryOptions } from './telemetry-options.types';
import { telemetryScope } from './telemetry-scope.util';

/** The value a failed call to an unconfirmed model is counted under (the bounded attributes' overflow value). */
const OTHER_MODEL = 'other';

/** Options of {@link ModelClientTracer}. */
export interface ModelClientTracerOptions extends McpTelemetryOptions {
  /** The model server as this client reaches it, `host:port` (`server.address`, `server.port`). Default: none. */
  serverAddress?: string;
  /** Value of `gen_ai.provider.name`. Default: `'mcp_model_router'`. */
  provider?: string;
  /**
   * Record prompt and answer text as `gen_ai.input.messages` / `gen_ai.output.messages` (each text cut
   * at 4096 characters). Default false; services set it from `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`.
   */
  captureMessageContent?: boolean;
  /**
   * `error.type` of a failed call, e.g. the gRPC status name. Default: {@link errorTypeOf}. A throwing
   * or empty answer becomes `_OTHER`.
   */
  errorType?: (error: unknown) => string | undefined;
  /** Model names that never count against `maxAttributeValues`. Default: the stub models of DESIGN.md. */
  knownModelTypes?: readonly string[];
}

/** Per-call options of {@link ModelClientTracer.traceCompletion}. */
export interface ModelCompletionOptions<T> {
  /** Reads usage from the answer. Default: the model-router's `RouteResponse` fields. */
  usage?: (result: T) => GenAiUsage;
}

function splitHostPort(address: string | undefined): Attributes {
  if (address === undefined || address === '') return {};
  const match = /^(.*):(\d{1,5})$/.exec(address);
  const [, host = address, port] = match ?? [];
  return { [ATTR_SERVER_ADDRESS]: host.replace(/^\[(.*)\]$/, '$1'), ...(port !== undefined ? { [ATTR_SERVER_PORT]: Number(port) } : {}) };
}

/**
 * The caller's side of a model call, as the GenAI conventions describe it: a CLIENT span
 * `text_completion <model>` around the call (the transport's own span, e.g. gRPC, nests under it), and
 * the client metrics `gen_ai.client.operation.duration` and `gen_ai.client.token.usage`. The prompt
 * and answer text are recorded only with `captureMessageContent`. Construct once per process.
 */
export class ModelClientTracer {
  private readonly tracer: Tracer;
  private readonly provider: string;
  private readonly server: Attributes;
  private readonly captureContent: boolean;
  private readonly errorType: (error: unknown) => string;
  private readonly model: BoundedAttribute;
  private readonly knownModels: ReadonlySet<string>;
  /** Models the server has answered for: only these (and the known ones) name a failed call's series. */
  private readonly answeredModels = new Set<string>();
  private readonly operationDuration: Histogram;
  private readonly tokenUsage: Histogram;

  constructor(options: ModelClientTracerOptions = {}) {
    const { tracer, meter, maxValues, errorType: boundedErrorType } = telemetryScope(options, 'mcp-model-client');
    const readErrorType = options.errorType ?? errorTypeOf;

    this.tracer = tracer;
    this.provider = options.provider ?? GEN_AI_PROVIDER_NAME_VALUE_MCP_MODEL_ROUTER;
    this.server = splitHostPort(options.serverAddress);
    this.captureContent = options.captureMessageContent ?? false;
    this.errorType = (error) => boundedErrorType(readSafely((e: unknown) => ({ type: readErrorType(e) }), error).type);
    this.knownModels = new Set(options.knownModelTypes ?? KNOWN_MODEL_TYPES);
    this.model = boundedAttribute({ maxValues, knownValues: [...this.knownModels] });

    this.operationDuration = meter.createHistogram(METRIC_GEN_AI_CLIENT_OPERATION_DURATION, {
      description: 'GenAI operation duration.',
      unit: 's',
      advice: { explicitBucketBoundaries: [...GEN_AI_DURATION_BUCKETS_SECONDS] },
    });
    this.tokenUsage = meter.createHistogram(METRIC_GEN_AI_CLIENT_TOKEN_USAGE, {
      description: 'Number of input and output tokens used.',
      unit: '{token}',
      advice: { explicitBucketBoundaries: [...GEN_AI_TOKEN_USAGE_BUCKETS] },
    });
  }

  /**
   * Runs `fn` (the call to the model server) inside an active CLIENT span `text_completion <model>` and
   * records the client metrics. Resolves or rejects as `fn` does; a failure gets `error.type` on span
   * and duration.
   */
  traceCompletion<T>(model: string, prompt: string, fn: (span: Span) => Promise<T>, options: ModelCompletionOptions<T> = {}): Promise<T> {
    const requestModel = cappedSpanValue(model);
    // The metric's model is settled once the call ends: a name the server rejects must not become a
    // series (a flood of invented names would fill the attribute's bound), see failedModel.
    const metricAttributes = (metricModel: string): Attributes => ({
      [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_TEXT_COMPLETION,
      [ATTR_GEN_AI_PROVIDER_NAME]: this.provider,
      [ATTR_GEN_AI_REQUEST_MODEL]: metricModel,
      ...this.server,
    });
    const spanAttributes: Attributes = {
      [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_TEXT_COMPLETION,
      [ATTR_GEN_AI_PROVIDER_NAME]: this.provider,
      [ATTR_GEN_AI_REQUEST_MODEL]: requestModel,
      ...this.server,
      ...(this.captureContent ? inputMessagesAttribute(prompt) : {}),
    };
    return this.tracer.startActiveSpan(
      `${GEN_AI_OPERATION_NAME_VALUE_TEXT_COMPLETION} ${requestModel}`,
      { kind: SpanKind.CLIENT, attributes: spanAttributes },
      async (span: Span): Promise<T> => {
        const elapsedSeconds = startTimer();
        try {
          const result = await fn(span);
          const usage = readSafely(options.usage ?? routeAnswerUsage, result);
          this.answeredModels.add(model);
          const answered = metricAttributes(this.model(model));
          const attributes: Attributes =
            usage.responseModel === undefined ? answered : { ...answered, [ATTR_GEN_AI_RESPONSE_MODEL]: this.model(usage.responseModel) };
          this.operationDuration.record(elapsedSeconds(), attributes);
          const input = nonNegative(usage.inputTokens);
          const output = nonNegative(usage.outputTokens);
          if (input !== undefined) this.tokenUsage.record(input, { ...attributes, [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_VALUE_INPUT });
          if (output !== undefined) this.tokenUsage.record(output, { ...attributes, [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_VALUE_OUTPUT });
          span.setAttributes(responseAttributes(usage, this.captureContent));
          return result;
        } catch (error) {
          const errorType = this.errorType(error);
          this.operationDuration.record(elapsedSeconds(), { ...metricAttributes(this.failedModel(model)), [ATTR_ERROR_TYPE]: errorType });
          recordSpanFailure(span, error, errorType);
          throw error;
        } finally {
          span.end();
        }
      },
    );
  }

  /** A failed call's model on metrics: a known or once-answered model by name, anything else `other`. */
  private failedModel(model: string): string {
    return this.knownModels.has(model) || this.answeredModels.has(model) ? this.model(model) : OTHER_MODEL;
  }
}
