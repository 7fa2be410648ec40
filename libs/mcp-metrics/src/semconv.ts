/**
 * Attribute, metric and span names of the MCP system.
 *
 * The `mcp.*` attributes and `mcp_*` metric names are the seed's contract
 * (`seed/otel-auto-instrumentation-node.md` §4.1–4.2): dashboards and alerts are written against them,
 * so they change only together with those. The few OpenTelemetry names we need are copied here rather
 * than imported, because `@opentelemetry/semantic-conventions` is not a dependency of this lib and its
 * incubating entry point should not be loaded at run time.
 */

// ---------------------------------------------------------------------------------------------------
// OpenTelemetry semantic conventions (copied; values checked against @opentelemetry/semantic-conventions 1.45)
// ---------------------------------------------------------------------------------------------------

/** Stable `error.type`: the class of error (exception class name or error code), low cardinality. */
export const ATTR_ERROR_TYPE = 'error.type' as const;
/** Stable fallback value of `error.type` when no better value is known. */
export const ERROR_TYPE_VALUE_OTHER = '_OTHER' as const;

/**
 * Incubating `messaging.system.name` (1.45 replaced `messaging.system` by it); we use the value
 * {@link MESSAGING_SYSTEM_VALUE_SOCKET_IO}. With `messaging.destination.name` and
 * `messaging.operation.type`/`.name` our Socket.IO spans carry one generation of messaging keys.
 */
export const ATTR_MESSAGING_SYSTEM_NAME = 'messaging.system.name' as const;
/** Incubating `messaging.destination.name`: the Socket.IO event name (`domain:action`). */
export const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name' as const;
/** Incubating `messaging.operation.type`: `send` on the emitting side, `process` in the handler. */
export const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type' as const;
/** Incubating `messaging.operation.name`: the system-specific operation name. */
export const ATTR_MESSAGING_OPERATION_NAME = 'messaging.operation.name' as const;
/** Value of `messaging.operation.type` for the span that emits an event. */
export const MESSAGING_OPERATION_TYPE_VALUE_SEND = 'send' as const;
/** Value of `messaging.operation.type` for the span that handles an event. */
export const MESSAGING_OPERATION_TYPE_VALUE_PROCESS = 'process' as const;
/** Value of `messaging.system.name` for Socket.IO (the same value the upstream socket.io instrumentation uses). */
export const MESSAGING_SYSTEM_VALUE_SOCKET_IO = 'socket.io' as const;

// ---------------------------------------------------------------------------------------------------
// mcp.* attributes (the seed's names)
// ---------------------------------------------------------------------------------------------------

/** Model asked for (`stub-small`, …). Bounded on metrics, length-capped on spans. */
export const ATTR_MCP_MODEL_TYPE = 'mcp.model_type' as const;
/** Length of the prompt in UTF-16 code units. The prompt text itself is never recorded. */
export const ATTR_MCP_PROMPT_LENGTH = 'mcp.prompt_length' as const;
/** Business operation: `model_inference`, `workflow_execution`, `workflow_step`, … */
export const ATTR_MCP_OPERATION = 'mcp.operation' as const;
/** The MCP service that recorded the telemetry (`model-router`, `workflow-orchestrator`). */
export const ATTR_MCP_SERVICE = 'mcp.service' as const;
/** Whether a model inference succeeded (span only). */
export const ATTR_MCP_INFERENCE_SUCCESS = 'mcp.inference_success' as const;
/** Length of the model's response. The response text itself is never recorded. */
export const ATTR_MCP_RESPONSE_LENGTH = 'mcp.response_length' as const;
/** Tokens a model inference used (span and event). */
export const ATTR_MCP_TOKENS_USED = 'mcp.tokens_used' as const;
/** Processing time the model itself reported, in milliseconds. */
export const ATTR_MCP_PROCESSING_TIME_MS = 'mcp.processing_time_ms' as const;
/** Whether an answer came from the cache (span only). */
export const ATTR_MCP_CACHE_HIT = 'mcp.cache_hit' as const;
/** A workflow run's public progress_id (never its run_id, the capability to read it): fine on spans, NEVER on metrics (one series per run). */
export const ATTR_MCP_WORKFLOW_ID = 'mcp.workflow_id' as const;
/** Kind of workflow. Bounded on metrics. */
export const ATTR_MCP_WORKFLOW_TYPE = 'mcp.workflow_type' as const;
/** Number of steps a workflow was asked to run. */
export const ATTR_MCP_WORKFLOW_STEPS = 'mcp.workflow_steps' as const;
/** Whether a workflow run succeeded (span only). */
export const ATTR_MCP_WORKFLOW_SUCCESS = 'mcp.workflow_success' as const;
/** Duration of a workflow run in milliseconds (span only; the metric is in seconds). */
export const ATTR_MCP_WORKFLOW_DURATION_MS = 'mcp.workflow_duration_ms' as const;
/** Number of steps a workflow run completed. */
export const ATTR_MCP_COMPLETED_STEPS = 'mcp.completed_steps' as const;
/** Caller-chosen name of a workflow step: free text, so span attribute only. */
export const ATTR_MCP_STEP_NAME = 'mcp.step_name' as const;
/** Type of a workflow step (`model_inference`, `data_processing`, `external_api`). Bounded. */
export const ATTR_MCP_STEP_TYPE = 'mcp.step_type' as const;
/** Position of a step in its workflow, from 0. */
export const ATTR_MCP_STEP_INDEX = 'mcp.step_index' as const;
/** Whether a workflow step succeeded (span only). */
export const ATTR_MCP_STEP_SUCCESS = 'mcp.step_success' as const;
/** Duration of a workflow step in milliseconds (span only). */
export const ATTR_MCP_STEP_DURATION_MS = 'mcp.step_duration_ms' as const;
/** Kind of user (`anonymous`, `free`, `pro`, …). Bounded. Replaces the seed's per-user metric attributes. */
export const ATTR_MCP_USER_TYPE = 'mcp.user_type' as const;
/**
 * Truncated SHA-256 (or HMAC-SHA-256 with a key) of a user id, on spans only. Not in the seed: the seed
 * put `mcp.user_id` on metrics, which DESIGN.md forbids (no user ids in span or metric attributes).
 * There is deliberately no `ATTR_MCP_USER_ID` constant.
 */
export const ATTR_MCP_USER_HASH = 'mcp.user_hash' as const;
/**
 * The seed's error class attribute.
 * @deprecated Never emitted: we use the stable {@link ATTR_ERROR_TYPE} (`error.type`) instead.
 */
export const ATTR_MCP_ERROR_TYPE = 'mcp.error_type' as const;
/**
 * The seed's error message attribute.
 * @deprecated Never emitted: messages are unbounded and may quote user input; the exception event carries them.
 */
export const ATTR_MCP_ERROR = 'mcp.error' as const;

// Values of mcp.operation and mcp.service the seed uses.

/** `mcp.operation` of {@link ATTR_MCP_OPERATION} for model inference. */
export const MCP_OPERATION_VALUE_MODEL_INFERENCE = 'model_inference' as const;
/** `mcp.operation` for a workflow run. */
export const MCP_OPERATION_VALUE_WORKFLOW_EXECUTION = 'workflow_execution' as const;
/** `mcp.operation` for one workflow step. */
export const MCP_OPERATION_VALUE_WORKFLOW_STEP = 'workflow_step' as const;
/** `mcp.service` of the model router. */
export const MCP_SERVICE_VALUE_MODEL_ROUTER = 'model-router' as const;
/** `mcp.service` of the workflow orchestrator. */
export const MCP_SERVICE_VALUE_WORKFLOW_ORCHESTRATOR = 'workflow-orchestrator' as const;

// ---------------------------------------------------------------------------------------------------
// Span names
// ---------------------------------------------------------------------------------------------------

/** Span of one model inference. */
export const SPAN_NAME_MODEL_INFERENCE = 'model_inference' as const;
/** Span of one workflow run. */
export const SPAN_NAME_WORKFLOW_EXECUTION = 'workflow_execution' as const;
/** Prefix of a workflow step span; the (bounded) step type follows: `workflow_step_model_inference`. */
export const SPAN_NAME_PREFIX_WORKFLOW_STEP = 'workflow_step_' as const;

// ---------------------------------------------------------------------------------------------------
// Metric names (the seed's)
// ---------------------------------------------------------------------------------------------------

/** Counter `{request}`: model inferences, successful or not (failures carry `error.type`). */
export const METRIC_MCP_MODEL_INFERENCE_TOTAL = 'mcp_model_inference_total' as const;
/** Histogram `s`: model inference duration. */
export const METRIC_MCP_MODEL_INFERENCE_DURATION_SECONDS = 'mcp_model_inference_duration_seconds' as const;
/** Counter `{token}`: tokens used by models. */
export const METRIC_MCP_MODEL_TOKEN_USAGE_TOTAL = 'mcp_model_token_usage_total' as const;
/** Counter `{error}`: failed model inferences, by `error.type`. */
export const METRIC_MCP_MODEL_INFERENCE_ERRORS_TOTAL = 'mcp_model_inference_errors_total' as const;
/** UpDownCounter `{request}`: inferences in flight. */
export const METRIC_MCP_ACTIVE_INFERENCES = 'mcp_active_inferences' as const;
/** Counter `{request}`: model answers served from the cache. */
export const METRIC_MCP_MODEL_CACHE_HITS_TOTAL = 'mcp_model_cache_hits_total' as const;
/** Counter `{request}`: model answers not found in the cache. */
export const METRIC_MCP_MODEL_CACHE_MISSES_TOTAL = 'mcp_model_cache_misses_total' as const;

/** Counter `{workflow}`: workflow runs, successful or not (failures carry `error.type`). */
export const METRIC_MCP_WORKFLOW_EXECUTION_TOTAL = 'mcp_workflow_execution_total' as const;
/** Histogram `s`: workflow run duration. */
export const METRIC_MCP_WORKFLOW_EXECUTION_DURATION_SECONDS = 'mcp_workflow_execution_duration_seconds' as const;
/** Counter `{step}`: workflow steps run, by step type. */
export const METRIC_MCP_WORKFLOW_STEP_TOTAL = 'mcp_workflow_step_total' as const;
/** Counter `{error}`: failed workflow runs and steps, by `mcp.operation` and `error.type`. */
export const METRIC_MCP_WORKFLOW_ERRORS_TOTAL = 'mcp_workflow_errors_total' as const;
/** UpDownCounter `{workflow}`: workflow runs in flight. */
export const METRIC_MCP_ACTIVE_WORKFLOWS = 'mcp_active_workflows' as const;

/** Counter `{session}`: ended user sessions. */
export const METRIC_MCP_USER_SESSIONS_TOTAL = 'mcp_user_sessions_total' as const;
/** Histogram `s`: user session duration. */
export const METRIC_MCP_USER_SESSION_DURATION_SECONDS = 'mcp_user_session_duration_seconds' as const;
/** UpDownCounter `{session}`: user sessions open now. */
export const METRIC_MCP_ACTIVE_USER_SESSIONS = 'mcp_active_user_sessions' as const;
/** Counter `{request}`: content generation requests. */
export const METRIC_MCP_CONTENT_GENERATION_TOTAL = 'mcp_content_generation_total' as const;
/** Histogram `s`: content generation duration. */
export const METRIC_MCP_CONTENT_GENERATION_DURATION_SECONDS = 'mcp_content_generation_duration_seconds' as const;
/** Counter `{char}`: characters of generated content. */
export const METRIC_MCP_CONTENT_LENGTH_GENERATED_TOTAL = 'mcp_content_length_generated_total' as const;
/** Counter `{session}`: collaboration sessions started. */
export const METRIC_MCP_COLLABORATION_SESSIONS_TOTAL = 'mcp_collaboration_sessions_total' as const;
/** Histogram `{participant}`: participants per collaboration session. */
export const METRIC_MCP_COLLABORATION_PARTICIPANTS = 'mcp_collaboration_participants' as const;
/** Histogram `s`: collaboration session duration. */
export const METRIC_MCP_COLLABORATION_DURATION_SECONDS = 'mcp_collaboration_duration_seconds' as const;
/** Counter `{USD}`: money spent on models. */
export const METRIC_MCP_COST_INCURRED_TOTAL = 'mcp_cost_incurred_total' as const;
/** Counter `{USD}`: money spent, by model type. */
export const METRIC_MCP_COST_BY_MODEL_TOTAL = 'mcp_cost_by_model_total' as const;
/** Counter `{USD}`: money spent, by user TYPE (per-user cost lives in the PostgreSQL ledger). */
export const METRIC_MCP_COST_BY_USER_TOTAL = 'mcp_cost_by_user_total' as const;
