export { LIMITS } from './limits.const';
export { REQUEST_DURATION_BUCKETS_SECONDS } from './duration-buckets.const';
export {
  RouteRequestBody,
  WorkflowExecuteBody,
  WorkflowStep,
  ModelInferenceStep,
  DataProcessingStep,
  ExternalApiStep,
  DATA_PROCESSING_OPERATIONS,
  WorkflowProgressEvent,
  INTERNAL_SECRET_HEADER,
  SOCKET_EVENTS,
  SessionJoinPayload,
  SessionLeavePayload,
  SessionMessagePayload,
  describeIssues,
} from './schemas';
export type {
  RouteResponseBody,
  DataProcessingOperation,
  WorkflowRun,
  WorkflowRunStatus,
  WorkflowStepRecord,
  WorkflowStepStatus,
  Participant,
  SessionMessageBroadcast,
  SessionParticipantJoinedBroadcast,
  SessionParticipantLeftBroadcast,
  Ack,
  ErrorBody,
} from './schemas';
export { MODEL_ROUTER_SERVICE, HEALTH_SERVICE, PROTO_DIR, loadModelRouterProto } from './model-router.grpc';
export type {
  RouteRequest,
  RouteResponse,
  RouteChunk,
  ModelInfo,
  ListModelsResponse,
  HealthStatus,
  ModelRouterClient,
  HealthClient,
  ModelRouterProto,
} from './model-router.grpc';
export { createModelRouterClient, grpcStatusName } from './model-router.client';
export type { ModelRouterCaller } from './model-router.client';
export { METRIC_RPC_CLIENT_CALL_DURATION, METRIC_RPC_SERVER_CALL_DURATION, rpcClientMetricsInterceptor, rpcServerMetricsInterceptor } from './rpc-call.metrics';
export { loadOtlpProto, protoDir } from './otlp-proto';
export type { OtlpProtoTypes } from './otlp-proto';
export { decodeExportRequest, encodeExportRequest, encodeEmptyResponse, encodeErrorStatus } from './otlp-codec';
export { toObjectOptions } from './otlp-wire';
export type {
  OtlpSignal,
  OtlpEncoding,
  WireAnyValue,
  WireKeyValue,
  WireResource,
  WireScope,
  WireSpan,
  WireTraceRequest,
  WireNumberDataPoint,
  WireHistogramDataPoint,
  WireExponentialHistogramDataPoint,
  WireSummaryDataPoint,
  WireMetric,
  WireMetricsRequest,
  WireLogRecord,
  WireLogsRequest,
} from './otlp-wire';
