import type { OtlpEncoding, OtlpSignal } from '@mcp/contracts';

export type { OtlpEncoding, OtlpSignal };

/**
 * A decoded OTLP `AnyValue`.
 *
 * - `stringValue` → `string`, `boolValue` → `boolean`, `doubleValue` → `number`;
 * - `intValue` → `number`: JavaScript SDKs only ever record numbers, so this keeps assertions
 *   simple; integers beyond ±2^53 lose precision (documented trade-off);
 * - `bytesValue` → `Uint8Array`;
 * - `arrayValue` → `AttrValue[]`, `kvlistValue` → `{ [key]: AttrValue }`;
 * - an empty `AnyValue` (no field set) → `null`.
 */
export type AttrValue = string | number | boolean | Uint8Array | null | AttrValue[] | { [key: string]: AttrValue };

/** Attributes (span, event, link, resource, data point, log) keyed by attribute name. */
export type Attributes = Record<string, AttrValue>;

/** The instrumentation scope that produced a span, data point or log record. */
export interface ReceivedScope {
  /** Scope (instrumentation library) name; `''` when the exporter sent none. */
  name: string;
  /** Scope version; `undefined` when empty or absent. */
  version: string | undefined;
}

/** Span kind names; OTLP's `SPAN_KIND_UNSPECIFIED` is reported as `'INTERNAL'`, as the spec allows. */
export type SpanKindName = 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';

/** Span status code names. */
export type StatusCodeName = 'UNSET' | 'OK' | 'ERROR';

/** A span event. */
export interface ReceivedSpanEvent {
  /** Event name, e.g. `exception`. */
  name: string;
  /** Event time, Unix epoch nanoseconds. */
  timeUnixNano: bigint;
  /** Event attributes. */
  attributes: Attributes;
}

/** A span link. */
export interface ReceivedSpanLink {
  /** Linked trace id, 32 lowercase hex characters. */
  traceId: string;
  /** Linked span id, 16 lowercase hex characters. */
  spanId: string;
  /** W3C tracestate of the link; `undefined` when empty. */
  traceState: string | undefined;
  /** Link attributes. */
  attributes: Attributes;
}

/** One received span, flattened with its resource and scope. */
export interface ReceivedSpan {
  /** Trace id, 32 lowercase hex characters. */
  traceId: string;
  /** Span id, 16 lowercase hex characters. */
  spanId: string;
  /** Parent span id (16 lowercase hex characters); `undefined` for a root span. */
  parentSpanId: string | undefined;
  /** W3C tracestate; `undefined` when empty. */
  traceState: string | undefined;
  /** Span name. */
  name: string;
  /** Span kind. */
  kind: SpanKindName;
  /** Start time, Unix epoch nanoseconds. */
  startTimeUnixNano: bigint;
  /** End time, Unix epoch nanoseconds. */
  endTimeUnixNano: bigint;
  /** `end - start` in milliseconds (fractional). */
  durationMs: number;
  /** Span attributes. */
  attributes: Attributes;
  /** Span status; `message` is `undefined` when empty. */
  status: { code: StatusCodeName; message: string | undefined };
  /** Span events, in the order sent. */
  events: ReceivedSpanEvent[];
  /** Span links, in the order sent. */
  links: ReceivedSpanLink[];
  /** The W3C trace flags and remote bits (`Span.flags`); 0 when not sent. */
  flags: number;
  /** Resource attributes of the process that exported the span. */
  resource: Attributes;
  /** `resource['service.name']`, or `'unknown_service'` when it is missing or not a string. */
  serviceName: string;
  /** Instrumentation scope. */
  scope: ReceivedScope;
  /** How the span arrived: `protobuf`/`json` over OTLP/HTTP, `grpc` over OTLP/gRPC. */
  encoding: OtlpEncoding;
}

/** Metric data types. */
export type MetricType = 'sum' | 'gauge' | 'histogram' | 'exponentialHistogram' | 'summary';

/** Aggregation temporality names (`undefined` on a metric type that has none, e.g. gauge). */
export type TemporalityName = 'DELTA' | 'CUMULATIVE' | 'UNSPECIFIED';

/** Values of an explicit-bucket histogram data point. */
export interface HistogramValue {
  /** Number of recorded values. */
  count: number;
  /** Sum of recorded values; `undefined` when the exporter left it out. */
  sum: number | undefined;
  /** Minimum recorded value, when sent. */
  min: number | undefined;
  /** Maximum recorded value, when sent. */
  max: number | undefined;
  /** Per-bucket counts: `explicitBounds.length + 1` entries (or none). */
  bucketCounts: number[];
  /** Inclusive upper bounds of the buckets, increasing. */
  explicitBounds: number[];
}

/** Values of a base-2 exponential histogram data point. */
export interface ExponentialHistogramValue {
  /** Number of recorded values. */
  count: number;
  /** Sum of recorded values, when sent. */
  sum: number | undefined;
  /** Minimum recorded value, when sent. */
  min: number | undefined;
  /** Maximum recorded value, when sent. */
  max: number | undefined;
  /** Resolution: bucket base is `2^(2^-scale)`. */
  scale: number;
  /** Count of values in the zero bucket. */
  zeroCount: number;
  /** Width of the zero bucket. */
  zeroThreshold: number;
  /** Positive-range buckets starting at bucket index `offset`. */
  positive: { offset: number; bucketCounts: number[] };
  /** Negative-range buckets starting at bucket index `offset`. */
  negative: { offset: number; bucketCounts: number[] };
}

/** Values of a summary data point. */
export interface SummaryValue {
  /** Number of recorded values. */
  count: number;
  /** Sum of recorded values. */
  sum: number;
  /** Pre-computed quantiles. */
  quantiles: { quantile: number; value: number }[];
}

/** One received metric data point, flattened with its metric descriptor, resource and scope. */
export interface ReceivedMetricPoint {
  /** Metric name, e.g. `http.server.request.duration`. */
  name: string;
  /** Metric description; `''` when none. */
  description: string;
  /** Metric unit (UCUM); `''` when none. */
  unit: string;
  /** Metric data type. */
  type: MetricType;
  /** For `sum`: whether the sum is monotonic; `undefined` for other types. */
  isMonotonic: boolean | undefined;
  /** For `sum`, `histogram`, `exponentialHistogram`; `undefined` for `gauge` and `summary`. */
  temporality: TemporalityName | undefined;
  /** Data point attributes. */
  attributes: Attributes;
  /** Start of the aggregation interval, Unix epoch nanoseconds (0n when not sent). */
  startTimeUnixNano: bigint;
  /** Time of the data point, Unix epoch nanoseconds. */
  timeUnixNano: bigint;
  /** For `sum` and `gauge`: the value (`asInt` converted to a number); `undefined` otherwise. */
  value: number | undefined;
  /** For `histogram`: the buckets; `undefined` otherwise. */
  histogram: HistogramValue | undefined;
  /** For `exponentialHistogram`: the buckets; `undefined` otherwise. */
  exponentialHistogram: ExponentialHistogramValue | undefined;
  /** For `summary`: count, sum and quantiles; `undefined` otherwise. */
  summary: SummaryValue | undefined;
  /** Data point flags (bit 0: no recorded value). */
  flags: number;
  /** Resource attributes of the process that exported the point. */
  resource: Attributes;
  /** `resource['service.name']`, or `'unknown_service'`. */
  serviceName: string;
  /** Instrumentation scope (the meter). */
  scope: ReceivedScope;
  /** How the point arrived: `protobuf`/`json` over OTLP/HTTP, `grpc` over OTLP/gRPC. */
  encoding: OtlpEncoding;
}

/** One received log record, flattened with its resource and scope. */
export interface ReceivedLog {
  /** Log body (usually the message string); `null` when absent. */
  body: AttrValue;
  /** OTLP severity number (1–24; 9 = INFO, 13 = WARN, 17 = ERROR); 0 when unspecified. */
  severityNumber: number;
  /** Severity text as known at the source; `undefined` when empty. */
  severityText: string | undefined;
  /** Event name for event records; `undefined` when empty. */
  eventName: string | undefined;
  /** Log attributes. */
  attributes: Attributes;
  /** Trace id (32 lowercase hex characters) when the record was emitted inside a trace. */
  traceId: string | undefined;
  /** Span id (16 lowercase hex characters) when the record was emitted inside a span. */
  spanId: string | undefined;
  /** Event time, Unix epoch nanoseconds (0n when unknown). */
  timeUnixNano: bigint;
  /** Observation time, Unix epoch nanoseconds (0n when not sent). */
  observedTimeUnixNano: bigint;
  /** W3C trace flags of the record; 0 when not sent. */
  flags: number;
  /** Resource attributes of the process that exported the record. */
  resource: Attributes;
  /** `resource['service.name']`, or `'unknown_service'`. */
  serviceName: string;
  /** Instrumentation scope (the logger). */
  scope: ReceivedScope;
  /** How the record arrived: `protobuf`/`json` over OTLP/HTTP, `grpc` over OTLP/gRPC. */
  encoding: OtlpEncoding;
}

/** Request counts for one signal (its OTLP/HTTP path and its OTLP/gRPC `Export` method). */
export interface SignalRequestStats {
  /** OTLP/HTTP requests with `Content-Type: application/x-protobuf`, whatever the outcome. */
  protobuf: number;
  /** OTLP/HTTP requests with `Content-Type: application/json`, whatever the outcome. */
  json: number;
  /** OTLP/gRPC `Export` calls, whatever the outcome. */
  grpc: number;
  /**
   * OTLP/HTTP requests with `Content-Encoding: gzip`, whatever the outcome (gRPC compression is
   * undone by grpc-js before the receiver sees the message, so it is not counted).
   */
  gzip: number;
  /** Requests decoded, stored and answered 200 (gRPC: `OK`). */
  accepted: number;
  /** Requests answered (or left hanging) by fault injection; their data is discarded. */
  faulted: number;
  /** Requests refused as invalid: 400 (undecodable), 405, 413, 415; gRPC: `INVALID_ARGUMENT` (undecodable). */
  invalid: number;
}

/** A snapshot of the request counters. */
export interface RequestStats {
  /** `POST /v1/traces` and `TraceService/Export`. */
  traces: SignalRequestStats;
  /** `POST /v1/metrics` and `MetricsService/Export`. */
  metrics: SignalRequestStats;
  /** `POST /v1/logs` and `LogsService/Export`. */
  logs: SignalRequestStats;
  /** OTLP/HTTP requests to any other path (answered 404); gRPC calls of unknown methods are answered `UNIMPLEMENTED` by grpc-js and not counted. */
  notFound: number;
  /** Every request received (HTTP requests and gRPC `Export` calls). */
  total: number;
}

/** Where `scanFor` found the needle. */
export interface ScanHit {
  /** Which signal's record held it. */
  signal: OtlpSignal;
  /**
   * Field path inside the flattened record, e.g. `attributes["http.url"]`, `resource["host.name"]`,
   * `events[0].attributes["exception.message"]`, `body`, `name`, or `attributes key "…"` when an
   * attribute *key* contains it; `raw request body` when only the raw bytes contain it (a field
   * this library does not flatten, e.g. a schema URL or exemplar attribute).
   */
  path: string;
  /** The full string that contained the needle. */
  value: string;
  /** Short label of the record: span/metric name or log body, with the service name. */
  label: string;
  /** The record itself (`undefined` for a `raw request body` hit). */
  record: ReceivedSpan | ReceivedMetricPoint | ReceivedLog | undefined;
}
