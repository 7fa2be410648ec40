export { startOtlpReceiver } from './receiver';
export type { ExporterProtocol, OtlpReceiver, OtlpReceiverOptions } from './receiver';
export type { FaultOptions, RespondWithOptions } from './faults';
export type { WaitForMetricOptions, WaitForRecordsOptions, WaitOptions } from './waiting';
export {
  ancestorsOf,
  assertParentChild,
  checkParentChild,
  childrenOf,
  findSpan,
  groupByService,
  matchesSpan,
  parentOf,
  renderTraceTree,
  traceOf,
} from './trace-helpers';
export type { ParentChildCheck, ParentChildOptions, RenderTreeOptions, SpanMatcher, SpanQuery } from './trace-helpers';
export { findMetric, logsForTrace, metricPoints } from './query-helpers';
export { scanTelemetry } from './scan';
export type { TelemetrySnapshot } from './scan';
export { attributesInclude, attrValueEquals } from './match';
export { loadOtlpProto, protoDir } from '@mcp/contracts';
export type { OtlpProtoTypes } from '@mcp/contracts';
export type {
  AttrValue,
  Attributes,
  ExponentialHistogramValue,
  HistogramValue,
  MetricType,
  OtlpEncoding,
  OtlpSignal,
  ReceivedLog,
  ReceivedMetricPoint,
  ReceivedScope,
  ReceivedSpan,
  ReceivedSpanEvent,
  ReceivedSpanLink,
  RequestStats,
  ScanHit,
  SignalRequestStats,
  SpanKindName,
  StatusCodeName,
  SummaryValue,
  TemporalityName,
} from './types';
