import type { SpanKind } from '@opentelemetry/api';
import type { GenAiUsage } from './gen-ai.attributes';
import type { McpTelemetryOptions } from './telemetry-options.types';

// The contract of ModelRouterTracer (model-router.tracer.ts): its options, and what it reads from a call.

/** The result fields the seed's model router returns (snake_case, as on the wire). */
export interface ModelInferenceResult {
  /** Tokens the inference used; added to `mcp_model_token_usage_total`. */
  tokens_used?: number;
  /** The model's answer. Only its length is recorded, never the text. */
  response?: string;
  /** Processing time the model itself reported, in milliseconds. */
  processing_time_ms?: number;
}

/**
 * What {@link ModelInferenceOptions.usage} reads from a result. Every field is optional; the GenAI
 * fields (input/output tokens, response model, answer text) feed the `gen_ai.*` attributes.
 */
export interface ModelInferenceUsage extends GenAiUsage {
  /** Tokens used (non-negative). */
  tokensUsed?: number;
  /** Length of the response (non-negative). */
  responseLength?: number;
  /** Processing time the model reported, in milliseconds (non-negative). */
  processingTimeMs?: number;
}

/** Per-call options of {@link ModelRouterTracer.traceModelInference}. */
export interface ModelInferenceOptions<T> {
  /** Span kind of this call; default: the tracer's `spanKind` option. */
  kind?: SpanKind;
  /**
   * Reads usage from the result. Default: the seed's snake_case fields of {@link ModelInferenceResult}
   * when the result is an object. A throwing reader is ignored: telemetry must not fail a request.
   */
  usage?: (result: T) => ModelInferenceUsage;
}

/** Handed to the function a `model_inference` span wraps, for what only the model's loop knows. */
export interface InferenceProgress {
  /**
   * The first output token went out (a streamed answer's first chunk). Once called, a successful
   * inference also records `gen_ai.server.time_to_first_token` and `gen_ai.server.time_per_output_token`.
   * Later calls are ignored.
   */
  firstToken(): void;
}

/** Options of {@link ModelRouterTracer}. */
export interface ModelRouterTracerOptions extends McpTelemetryOptions {
  /**
   * Default span kind of `model_inference` spans. Default INTERNAL: in the model router the gRPC
   * instrumentation already makes the SERVER span of the RPC, and a second SERVER span would count
   * the request twice in span-derived RED metrics and service graphs. Use SERVER only where no
   * instrumentation created one.
   */
  spanKind?: SpanKind;
  /**
   * Value of `mcp.service`, and the name of the tracer and meter scope, so a service's cache counters
   * are recorded under its own scope (the frontend's under `frontend`). Default: `'model-router'`.
   */
  service?: string;
  /** Model types that never count against `maxAttributeValues`. Default: the stub models of DESIGN.md. */
  knownModelTypes?: readonly string[];
  /**
   * Record prompt and answer text as `gen_ai.input.messages` / `gen_ai.output.messages` (each text cut at
   * 4096 characters). Default false; services set it from `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`.
   */
  captureMessageContent?: boolean;
  /** Value of `gen_ai.provider.name`. Default: `'mcp_model_router'`. */
  genAiProvider?: string;
}
