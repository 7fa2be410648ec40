/** The three OTLP signals, named as in the OTLP/HTTP paths (`/v1/<signal>`). */
export type OtlpSignal = 'traces' | 'metrics' | 'logs';

/**
 * How a request arrived: OTLP/HTTP with a protobuf or a JSON body (its `Content-Type`), or
 * OTLP/gRPC (`grpc`, always protobuf).
 */
export type OtlpEncoding = 'protobuf' | 'json' | 'grpc';

// Plain-object shapes of decoded OTLP export requests, as produced by protobufjs
// `Type.toObject(message, toObjectOptions)`: camelCase keys, 64-bit integers as decimal strings,
// enums as numbers, bytes as Uint8Array, repeated fields always present, other unset fields absent.

/** Options that make `toObject` produce the shapes below. */
export const toObjectOptions = { longs: String, enums: Number, arrays: true, defaults: false } as const;

export interface WireAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
  arrayValue?: { values?: WireAnyValue[] };
  kvlistValue?: { values?: WireKeyValue[] };
  bytesValue?: Uint8Array;
}

export interface WireKeyValue {
  key?: string;
  value?: WireAnyValue;
}

export interface WireResource {
  attributes?: WireKeyValue[];
}

export interface WireScope {
  name?: string;
  version?: string;
}

export interface WireSpan {
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  traceState?: string;
  parentSpanId?: Uint8Array;
  flags?: number;
  name?: string;
  kind?: number;
  startTimeUnixNano?: string;
  endTimeUnixNano?: string;
  attributes?: WireKeyValue[];
  events?: { timeUnixNano?: string; name?: string; attributes?: WireKeyValue[] }[];
  links?: { traceId?: Uint8Array; spanId?: Uint8Array; traceState?: string; attributes?: WireKeyValue[] }[];
  status?: { message?: string; code?: number };
}

export interface WireTraceRequest {
  resourceSpans?: { resource?: WireResource; scopeSpans?: { scope?: WireScope; spans?: WireSpan[] }[] }[];
}

export interface WireNumberDataPoint {
  attributes?: WireKeyValue[];
  startTimeUnixNano?: string;
  timeUnixNano?: string;
  asDouble?: number;
  asInt?: string;
  flags?: number;
}

export interface WireHistogramDataPoint {
  attributes?: WireKeyValue[];
  startTimeUnixNano?: string;
  timeUnixNano?: string;
  count?: string;
  sum?: number;
  bucketCounts?: string[];
  explicitBounds?: number[];
  flags?: number;
  min?: number;
  max?: number;
}

export interface WireExponentialHistogramDataPoint {
  attributes?: WireKeyValue[];
  startTimeUnixNano?: string;
  timeUnixNano?: string;
  count?: string;
  sum?: number;
  scale?: number;
  zeroCount?: string;
  positive?: { offset?: number; bucketCounts?: string[] };
  negative?: { offset?: number; bucketCounts?: string[] };
  flags?: number;
  min?: number;
  max?: number;
  zeroThreshold?: number;
}

export interface WireSummaryDataPoint {
  attributes?: WireKeyValue[];
  startTimeUnixNano?: string;
  timeUnixNano?: string;
  count?: string;
  sum?: number;
  quantileValues?: { quantile?: number; value?: number }[];
  flags?: number;
}

export interface WireMetric {
  name?: string;
  description?: string;
  unit?: string;
  gauge?: { dataPoints?: WireNumberDataPoint[] };
  sum?: { dataPoints?: WireNumberDataPoint[]; aggregationTemporality?: number; isMonotonic?: boolean };
  histogram?: { dataPoints?: WireHistogramDataPoint[]; aggregationTemporality?: number };
  exponentialHistogram?: { dataPoints?: WireExponentialHistogramDataPoint[]; aggregationTemporality?: number };
  summary?: { dataPoints?: WireSummaryDataPoint[] };
}

export interface WireMetricsRequest {
  resourceMetrics?: { resource?: WireResource; scopeMetrics?: { scope?: WireScope; metrics?: WireMetric[] }[] }[];
}

export interface WireLogRecord {
  timeUnixNano?: string;
  observedTimeUnixNano?: string;
  severityNumber?: number;
  severityText?: string;
  body?: WireAnyValue;
  attributes?: WireKeyValue[];
  flags?: number;
  traceId?: Uint8Array;
  spanId?: Uint8Array;
  eventName?: string;
}

export interface WireLogsRequest {
  resourceLogs?: { resource?: WireResource; scopeLogs?: { scope?: WireScope; logRecords?: WireLogRecord[] }[] }[];
}
