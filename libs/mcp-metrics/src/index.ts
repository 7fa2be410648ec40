// The public surface of @mcp/mcp-metrics: the seed's business tracers and metrics on
// @opentelemetry/api only, and trace-context helpers for Socket.IO.

export { ModelRouterTracer } from './model-router.tracer';
export type {
  InferenceProgress,
  ModelInferenceOptions,
  ModelInferenceResult,
  ModelInferenceUsage,
  ModelRouterTracerOptions,
} from './model-router.types';

export { ModelClientTracer } from './model-client.tracer';
export type { ModelClientTracerOptions, ModelCompletionOptions } from './model-client.tracer';
export type { GenAiUsage } from './gen-ai.attributes';

export { KNOWN_WORKFLOW_STEP_TYPES, WorkflowTracer } from './workflow.tracer';
export type {
  WorkflowExecutionOptions,
  WorkflowExecutionResult,
  WorkflowStep,
  WorkflowTracerOptions,
} from './workflow.tracer';

export { BusinessMetrics } from './business.metrics';
export type { BusinessMetricsOptions } from './business.metrics';

export { DEFAULT_MAX_ATTRIBUTE_VALUES, KNOWN_MODEL_TYPES } from './telemetry-options.types';
export type { McpTelemetryOptions } from './telemetry-options.types';

export { DEFAULT_MAX_ATTRIBUTE_LENGTH, boundedAttribute } from './bounded-attribute.util';
export type { BoundedAttribute, BoundedAttributeOptions } from './bounded-attribute.util';
export { errorTypeOf } from './span-outcome.util';
export { hashUserId } from './user-hash.util';

export {
  extractTraceContext,
  injectTraceContext,
  toTraceContextCarrier,
  withExtractedContext,
} from './trace-context.propagation';
export type { TraceContextCarrier } from './trace-context.propagation';
export {
  TRACE_CONTEXT_FIELD,
  emitWithContext,
  extractHandshakeContext,
  handlerWithContext,
  splitTraceContext,
} from './socket-io.propagation';
export type { HandlerWithContextOptions, HandshakeSource, TraceContextEmitter } from './socket-io.propagation';

export { MCP_METRICS_VERSION } from './version.const';

export {
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_TOKEN_TYPE,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ENV_GEN_AI_CAPTURE_MESSAGE_CONTENT,
  GEN_AI_OPERATION_NAME_VALUE_TEXT_COMPLETION,
  GEN_AI_PROVIDER_NAME_VALUE_MCP_MODEL_ROUTER,
  GEN_AI_SEMCONV_VERSION,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  METRIC_GEN_AI_SERVER_REQUEST_DURATION,
  METRIC_GEN_AI_SERVER_TIME_PER_OUTPUT_TOKEN,
  METRIC_GEN_AI_SERVER_TIME_TO_FIRST_TOKEN,
} from './gen-ai.semconv';

export {
  ATTR_ERROR_TYPE,
  ATTR_MCP_CACHE_HIT,
  ATTR_MCP_COMPLETED_STEPS,
  ATTR_MCP_ERROR,
  ATTR_MCP_ERROR_TYPE,
  ATTR_MCP_INFERENCE_SUCCESS,
  ATTR_MCP_MODEL_TYPE,
  ATTR_MCP_OPERATION,
  ATTR_MCP_PROCESSING_TIME_MS,
  ATTR_MCP_PROMPT_LENGTH,
  ATTR_MCP_RESPONSE_LENGTH,
  ATTR_MCP_SERVICE,
  ATTR_MCP_STEP_DURATION_MS,
  ATTR_MCP_STEP_INDEX,
  ATTR_MCP_STEP_NAME,
  ATTR_MCP_STEP_SUCCESS,
  ATTR_MCP_STEP_TYPE,
  ATTR_MCP_TOKENS_USED,
  ATTR_MCP_USER_HASH,
  ATTR_MCP_USER_TYPE,
  ATTR_MCP_WORKFLOW_DURATION_MS,
  ATTR_MCP_WORKFLOW_ID,
  ATTR_MCP_WORKFLOW_STEPS,
  ATTR_MCP_WORKFLOW_SUCCESS,
  ATTR_MCP_WORKFLOW_TYPE,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM_NAME,
  ERROR_TYPE_VALUE_OTHER,
  MCP_OPERATION_VALUE_MODEL_INFERENCE,
  MCP_OPERATION_VALUE_WORKFLOW_EXECUTION,
  MCP_OPERATION_VALUE_WORKFLOW_STEP,
  MCP_SERVICE_VALUE_MODEL_ROUTER,
  MCP_SERVICE_VALUE_WORKFLOW_ORCHESTRATOR,
  MESSAGING_OPERATION_TYPE_VALUE_PROCESS,
  MESSAGING_OPERATION_TYPE_VALUE_SEND,
  MESSAGING_SYSTEM_VALUE_SOCKET_IO,
  METRIC_MCP_ACTIVE_INFERENCES,
  METRIC_MCP_ACTIVE_USER_SESSIONS,
  METRIC_MCP_ACTIVE_WORKFLOWS,
  METRIC_MCP_COLLABORATION_DURATION_SECONDS,
  METRIC_MCP_COLLABORATION_PARTICIPANTS,
  METRIC_MCP_COLLABORATION_SESSIONS_TOTAL,
  METRIC_MCP_CONTENT_GENERATION_DURATION_SECONDS,
  METRIC_MCP_CONTENT_GENERATION_TOTAL,
  METRIC_MCP_CONTENT_LENGTH_GENERATED_TOTAL,
  METRIC_MCP_COST_BY_MODEL_TOTAL,
  METRIC_MCP_COST_BY_USER_TOTAL,
  METRIC_MCP_COST_INCURRED_TOTAL,
  METRIC_MCP_MODEL_CACHE_HITS_TOTAL,
  METRIC_MCP_MODEL_CACHE_MISSES_TOTAL,
  METRIC_MCP_MODEL_INFERENCE_DURATION_SECONDS,
  METRIC_MCP_MODEL_INFERENCE_ERRORS_TOTAL,
  METRIC_MCP_MODEL_INFERENCE_TOTAL,
  METRIC_MCP_MODEL_TOKEN_USAGE_TOTAL,
  METRIC_MCP_USER_SESSIONS_TOTAL,
  METRIC_MCP_USER_SESSION_DURATION_SECONDS,
  METRIC_MCP_WORKFLOW_ERRORS_TOTAL,
  METRIC_MCP_WORKFLOW_EXECUTION_DURATION_SECONDS,
  METRIC_MCP_WORKFLOW_EXECUTION_TOTAL,
  METRIC_MCP_WORKFLOW_STEP_TOTAL,
  SPAN_NAME_MODEL_INFERENCE,
  SPAN_NAME_PREFIX_WORKFLOW_STEP,
  SPAN_NAME_WORKFLOW_EXECUTION,
} from './semconv';
