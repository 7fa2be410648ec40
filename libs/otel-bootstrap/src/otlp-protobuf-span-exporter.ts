import { OTLPExporterBase } from '@opentelemetry/otlp-exporter-base';
import { convertLegacyHttpOptions, createOtlpHttpExportDelegate } from '@opentelemetry/otlp-exporter-base/node-http';
import { ProtobufTraceSerializer, TraceExporterMetricsHelper, type IExportTraceServiceResponse, type ISerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { serializeTraceExportRequest } from './otlp-trace-protobuf';

/** Requests in our encoding (otlp-trace-protobuf.ts); the collector's rare response decoded by upstream. */
const serializer: ISerializer<ReadableSpan[], IExportTraceServiceResponse> = {
  serializeRequest: serializeTraceExportRequest,
  deserializeResponse: (data) => ProtobufTraceSerializer.deserializeResponse(data),
};

/**
 * The OTLP `http/protobuf` span exporter: upstream's exporter of
 * @opentelemetry/exporter-trace-otlp-proto assembled the same way (its HTTP transport, retries,
 * self-metrics, and the endpoint, headers, timeout, compression and TLS read from the OTEL_*
 * variables), with our serialiser in place of otlp-transformer's. Loaded on the first export.
 */
export function createOtlpProtobufSpanExporter(): SpanExporter {
  const options = convertLegacyHttpOptions({}, 'TRACES', 'v1/traces', { 'Content-Type': 'application/x-protobuf' });
  return new OTLPExporterBase(createOtlpHttpExportDelegate(options, serializer, 'otlp_http_span_exporter', TraceExporterMetricsHelper, undefined));
}
