import type {
  AttrValue,
  Attributes,
  OtlpEncoding,
  ReceivedLog,
  ReceivedMetricPoint,
  ReceivedScope,
  ReceivedSpan,
  SpanKindName,
  StatusCodeName,
  TemporalityName,
} from './types';
import type {
  WireAnyValue,
  WireKeyValue,
  WireLogsRequest,
  WireMetric,
  WireMetricsRequest,
  WireNumberDataPoint,
  WireResource,
  WireScope,
  WireTraceRequest,
} from '@mcp/contracts';

const spanKinds: readonly SpanKindName[] = ['INTERNAL', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const statusCodes: readonly StatusCodeName[] = ['UNSET', 'OK', 'ERROR'];
const temporalities: readonly TemporalityName[] = ['UNSPECIFIED', 'DELTA', 'CUMULATIVE'];

/** Lowercase hex of an id; `''` for a missing id. */
export function toHex(bytes: Uint8Array | undefined): string {
  return bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex') : '';
}

// Empty and all-zero ids are both "no id" per the OTLP spec.
function optionalId(bytes: Uint8Array | undefined): string | undefined {
  const hex = toHex(bytes);
  return hex === '' || /^0+$/.test(hex) ? undefined : hex;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function toBigInt(value: string | undefined): bigint {
  return value === undefined || value === '' ? 0n : BigInt(value);
}

function toNumber(value: string | undefined): number {
  return value === undefined || value === '' ? 0 : Number(value);
}

/** Decodes an OTLP AnyValue (see {@link AttrValue} for the mapping). */
export function decodeAnyValue(value: WireAnyValue | undefined): AttrValue {
  if (!value) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(decodeAnyValue);
  if (value.kvlistValue !== undefined) return decodeAttributes(value.kvlistValue.values);
  if (value.bytesValue !== undefined) return Uint8Array.from(value.bytesValue);
  return null;
}

/** Decodes a KeyValue list into a record (a later duplicate key wins). */
export function decodeAttributes(list: WireKeyValue[] | undefined): Attributes {
  const out: Attributes = {};
  for (const kv of list ?? []) out[kv.key ?? ''] = decodeAnyValue(kv.value);
  return out;
}

interface Origin {
  resource: Attributes;
  serviceName: string;
  scope: ReceivedScope;
  encoding: OtlpEncoding;
}

function origin(resource: WireResource | undefined, scope: WireScope | undefined, encoding: OtlpEncoding): Origin {
  const attrs = decodeAttributes(resource?.attributes);
  const serviceName = attrs['service.name'];
  return {
    resource: attrs,
    serviceName: typeof serviceName === 'string' && serviceName !== '' ? serviceName : 'unknown_service',
    scope: { name: scope?.name ?? '', version: nonEmpty(scope?.version) },
    encoding,
  };
}

/** Flattens an ExportTraceServiceRequest into one record per span. */
export function flattenSpans(request: WireTraceRequest, encoding: OtlpEncoding): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of request.resourceSpans ?? []) {
    for (const ss of rs.scopeSpans ?? []) {
      // Each record gets its own copy so a test mutating one record cannot affect another.
      for (const span of ss.spans ?? []) {
        const start = toBigInt(span.startTimeUnixNano);
        const end = toBigInt(span.endTimeUnixNano);
        out.push({
          traceId: toHex(span.traceId),
          spanId: toHex(span.spanId),
          parentSpanId: optionalId(span.parentSpanId),
          traceState: nonEmpty(span.traceState),
          name: span.name ?? '',
          kind: spanKinds[span.kind ?? 0] ?? 'INTERNAL',
          startTimeUnixNano: start,
          endTimeUnixNano: end,
          durationMs: Number(end - start) / 1e6,
          attributes: decodeAttributes(span.attributes),
          status: { code: statusCodes[span.status?.code ?? 0] ?? 'UNSET', message: nonEmpty(span.status?.message) },
          events: (span.events ?? []).map((e) => ({
            name: e.name ?? '',
            timeUnixNano: toBigInt(e.timeUnixNano),
            attributes: decodeAttributes(e.attributes),
          })),
          links: (span.links ?? []).map((l) => ({
            traceId: toHex(l.traceId),
            spanId: toHex(l.spanId),
            traceState: nonEmpty(l.traceState),
            attributes: decodeAttributes(l.attributes),
          })),
          flags: span.flags ?? 0,
          ...origin(rs.resource, ss.scope, encoding),
        });
      }
    }
  }
  return out;
}

type PointBase = Omit<
  ReceivedMetricPoint,
  'attributes' | 'startTimeUnixNano' | 'timeUnixNano' | 'value' | 'histogram' | 'exponentialHistogram' | 'summary' | 'flags'
>;

function numberValue(point: WireNumberDataPoint): number | undefined {
  if (point.asDouble !== undefined) return point.asDouble;
  if (point.asInt !== undefined) return Number(point.asInt);
  return undefined;
}

const empty = { value: undefined, histogram: undefined, exponentialHistogram: undefined, summary: undefined };

function flattenMetric(metric: WireMetric, o: Origin): ReceivedMetricPoint[] {
  const base = (type: ReceivedMetricPoint['type'], temporality?: number, isMonotonic?: boolean): PointBase => ({
    name: metric.name ?? '',
    description: metric.description ?? '',
    unit: metric.unit ?? '',
    type,
    isMonotonic: type === 'sum' ? (isMonotonic ?? false) : undefined,
    temporality:
      type === 'sum' || type === 'histogram' || type === 'exponentialHistogram'
        ? (temporalities[temporality ?? 0] ?? 'UNSPECIFIED')
        : undefined,
    ...o,
    resource: { ...o.resource },
    scope: { ...o.scope },
  });
  const common = (p: { attributes?: WireKeyValue[]; startTimeUnixNano?: string; timeUnixNano?: string; flags?: number }) => ({
    attributes: decodeAttributes(p.attributes),
    startTimeUnixNano: toBigInt(p.startTimeUnixNano),
    timeUnixNano: toBigInt(p.timeUnixNano),
    flags: p.flags ?? 0,
  });

  if (metric.sum) {
    const { aggregationTemporality, isMonotonic } = metric.sum;
    return (metric.sum.dataPoints ?? []).map((p) => ({
      ...base('sum', aggregationTemporality, isMonotonic),
      ...common(p),
      ...empty,
      value: numberValue(p),
    }));
  }
  if (metric.gauge) {
    return (metric.gauge.dataPoints ?? []).map((p) => ({ ...base('gauge'), ...common(p), ...empty, value: numberValue(p) }));
  }
  if (metric.histogram) {
    const { aggregationTemporality } = metric.histogram;
    return (metric.histogram.dataPoints ?? []).map((p) => ({
      ...base('histogram', aggregationTemporality),
      ...common(p),
      ...empty,
      histogram: {
        count: toNumber(p.count),
        sum: p.sum,
        min: p.min,
        max: p.max,
        bucketCounts: (p.bucketCounts ?? []).map((c) => Number(c)),
        explicitBounds: [...(p.explicitBounds ?? [])],
      },
    }));
  }
  if (metric.exponentialHistogram) {
    const { aggregationTemporality } = metric.exponentialHistogram;
    return (metric.exponentialHistogram.dataPoints ?? []).map((p) => ({
      ...base('exponentialHistogram', aggregationTemporality),
      ...common(p),
      ...empty,
      exponentialHistogram: {
        count: toNumber(p.count),
        sum: p.sum,
        min: p.min,
        max: p.max,
        scale: p.scale ?? 0,
        zeroCount: toNumber(p.zeroCount),
        zeroThreshold: p.zeroThreshold ?? 0,
        positive: { offset: p.positive?.offset ?? 0, bucketCounts: (p.positive?.bucketCounts ?? []).map((c) => Number(c)) },
        negative: { offset: p.negative?.offset ?? 0, bucketCounts: (p.negative?.bucketCounts ?? []).map((c) => Number(c)) },
      },
    }));
  }
  if (metric.summary) {
    return (metric.summary.dataPoints ?? []).map((p) => ({
      ...base('summary'),
      ...common(p),
      ...empty,
      summary: {
        count: toNumber(p.count),
        sum: p.sum ?? 0,
        quantiles: (p.quantileValues ?? []).map((q) => ({ quantile: q.quantile ?? 0, value: q.value ?? 0 })),
      },
    }));
  }
  // A metric with no data field carries nothing to assert on.
  return [];
}

/** Flattens an ExportMetricsServiceRequest into one record per data point. */
export function flattenMetrics(request: WireMetricsRequest, encoding: OtlpEncoding): ReceivedMetricPoint[] {
  const out: ReceivedMetricPoint[] = [];
  for (const rm of request.resourceMetrics ?? []) {
    for (const sm of rm.scopeMetrics ?? []) {
      const o = origin(rm.resource, sm.scope, encoding);
      for (const metric of sm.metrics ?? []) out.push(...flattenMetric(metric, o));
    }
  }
  return out;
}

/** Flattens an ExportLogsServiceRequest into one record per log record. */
export function flattenLogs(request: WireLogsRequest, encoding: OtlpEncoding): ReceivedLog[] {
  const out: ReceivedLog[] = [];
  for (const rl of request.resourceLogs ?? []) {
    for (const sl of rl.scopeLogs ?? []) {
      for (const log of sl.logRecords ?? []) {
        out.push({
          body: decodeAnyValue(log.body),
          severityNumber: log.severityNumber ?? 0,
          severityText: nonEmpty(log.severityText),
          eventName: nonEmpty(log.eventName),
          attributes: decodeAttributes(log.attributes),
          traceId: optionalId(log.traceId),
          spanId: optionalId(log.spanId),
          timeUnixNano: toBigInt(log.timeUnixNano),
          observedTimeUnixNano: toBigInt(log.observedTimeUnixNano),
          flags: log.flags ?? 0,
          ...origin(rl.resource, sl.scope, encoding),
        });
      }
    }
  }
  return out;
}
