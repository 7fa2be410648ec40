/**
 * The GenAI semantic conventions this project follows, in one place.
 *
 * Pinned version: the `gen_ai.*` definitions shipped in `@opentelemetry/semantic-conventions` 1.45.0
 * ({@link GEN_AI_SEMCONV_VERSION}). There they are marked "Moved to the OpenTelemetry GenAI semantic
 * conventions repository" (open-telemetry/semantic-conventions-genai), which has no release yet and is
 * reworking the token metrics (`gen_ai.client.token.usage` is to become `gen_ai.client.inference.*`
 * counters). We follow the 1.45.0 names until that repository releases, then move in one change.
 *
 * Copied rather than imported: `@opentelemetry/semantic-conventions/incubating` is not loaded at run time.
 */

/** The conventions version the names and buckets below are checked against. */
export const GEN_AI_SEMCONV_VERSION = '1.45.0' as const;

// ---------------------------------------------------------------------------------------------------
// Attributes
// ---------------------------------------------------------------------------------------------------

/** `gen_ai.operation.name`: `text_completion` here (one prompt in, one text out). */
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name' as const;
/** `gen_ai.provider.name`: who serves the model, as the caller or server knows it. */
export const ATTR_GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name' as const;
/** `gen_ai.request.model`: the model asked for. */
export const ATTR_GEN_AI_REQUEST_MODEL = 'gen_ai.request.model' as const;
/** `gen_ai.response.model`: the model that answered. */
export const ATTR_GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model' as const;
/** `gen_ai.response.finish_reasons` (string[]): why the model stopped, one per choice. */
export const ATTR_GEN_AI_RESPONSE_FINISH_REASONS = 'gen_ai.response.finish_reasons' as const;
/** `gen_ai.usage.input_tokens`: prompt tokens. */
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens' as const;
/** `gen_ai.usage.output_tokens`: completion tokens. */
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens' as const;
/** `gen_ai.token.type` on `gen_ai.client.token.usage`: `input` or `output`. */
export const ATTR_GEN_AI_TOKEN_TYPE = 'gen_ai.token.type' as const;
/** `gen_ai.input.messages` (opt-in content): the prompt as the input-messages JSON schema describes it. */
export const ATTR_GEN_AI_INPUT_MESSAGES = 'gen_ai.input.messages' as const;
/** `gen_ai.output.messages` (opt-in content): the answer as the output-messages JSON schema describes it. */
export const ATTR_GEN_AI_OUTPUT_MESSAGES = 'gen_ai.output.messages' as const;

/** Stable `server.address` / `server.port`: the GenAI server as the client reaches it. */
export const ATTR_SERVER_ADDRESS = 'server.address' as const;
export const ATTR_SERVER_PORT = 'server.port' as const;

/** `text_completion`: the well-known operation for one prompt → one text answer. */
export const GEN_AI_OPERATION_NAME_VALUE_TEXT_COMPLETION = 'text_completion' as const;
/**
 * Our provider: the model-router and its stub models. No well-known value applies, and a custom value
 * is allowed; named after the service so it is never mistaken for a vendor.
 */
export const GEN_AI_PROVIDER_NAME_VALUE_MCP_MODEL_ROUTER = 'mcp_model_router' as const;
/** `gen_ai.token.type` values. */
export const GEN_AI_TOKEN_TYPE_VALUE_INPUT = 'input' as const;
export const GEN_AI_TOKEN_TYPE_VALUE_OUTPUT = 'output' as const;
/** The finish reason of an answer the model completed (the stub models always complete). */
export const GEN_AI_FINISH_REASON_VALUE_STOP = 'stop' as const;

// ---------------------------------------------------------------------------------------------------
// Metrics, with the bucket boundaries the conventions advise for each
// ---------------------------------------------------------------------------------------------------

/** Histogram `s`: a GenAI operation as the client sees it. */
export const METRIC_GEN_AI_CLIENT_OPERATION_DURATION = 'gen_ai.client.operation.duration' as const;
/** Histogram `{token}`: input and output tokens per operation, by `gen_ai.token.type`. */
export const METRIC_GEN_AI_CLIENT_TOKEN_USAGE = 'gen_ai.client.token.usage' as const;
/** Histogram `s`: a model server request, to the last output token. */
export const METRIC_GEN_AI_SERVER_REQUEST_DURATION = 'gen_ai.server.request.duration' as const;
/** Histogram `s`: time to the first output token of a successful (streamed) response. */
export const METRIC_GEN_AI_SERVER_TIME_TO_FIRST_TOKEN = 'gen_ai.server.time_to_first_token' as const;
/** Histogram `s`: time per output token after the first, of a successful (streamed) response. */
export const METRIC_GEN_AI_SERVER_TIME_PER_OUTPUT_TOKEN = 'gen_ai.server.time_per_output_token' as const;

/** Advised for `gen_ai.client.operation.duration` and `gen_ai.server.request.duration`. */
export const GEN_AI_DURATION_BUCKETS_SECONDS: readonly number[] = [
  0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
];
/** Advised for `gen_ai.client.token.usage`. */
export const GEN_AI_TOKEN_USAGE_BUCKETS: readonly number[] = [
  1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
];
/** Advised for `gen_ai.server.time_to_first_token`. */
export const GEN_AI_TIME_TO_FIRST_TOKEN_BUCKETS_SECONDS: readonly number[] = [
  0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];
/** Advised for `gen_ai.server.time_per_output_token`. */
export const GEN_AI_TIME_PER_OUTPUT_TOKEN_BUCKETS_SECONDS: readonly number[] = [
  0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5,
];

// ---------------------------------------------------------------------------------------------------
// Opt-in message content
// ---------------------------------------------------------------------------------------------------

/**
 * The standard switch for message content (`true` records prompt and answer text; default off). Read
 * by each service's config.ts and passed to the tracers as `captureMessageContent`.
 */
export const ENV_GEN_AI_CAPTURE_MESSAGE_CONTENT = 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT' as const;
/** Longest text kept per message part when content capture is on; longer text is cut. */
export const GEN_AI_MAX_CAPTURED_CONTENT_CHARS = 4096;
