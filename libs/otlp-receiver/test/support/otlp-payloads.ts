// Builders of real OTLP export requests for the tests: OTLP/JSON documents (hex ids, camelCase,
// 64-bit integers as strings) and their protobuf encoding through the package's .proto files.
import { gzipSync } from 'node:zlib';
import { loadOtlpProto } from '../../src';
import type { OtlpEncoding, OtlpSignal } from '../../src';

export type Json = Record<string, unknown>;

export const str = (key: string, value: string): Json => ({ key, value: { stringValue: value } });
export const int = (key: string, value: number | string): Json => ({ key, value: { intValue: String(value) } });
export const dbl = (key: string, value: number): Json => ({ key, value: { doubleValue: value } });
export const bool = (key: string, value: boolean): Json => ({ key, value: { boolValue: value } });

export const T0 = 1_700_000_000_000_000_000n;
/** Nanoseconds as the OTLP/JSON string form. */
export const ns = (value: bigint): string => value.toString();

export const resource = (serviceName: string, extra: Json[] = []): Json => ({
  attributes: [str('service.name', serviceName), ...extra],
});

export interface SpanInput {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** Enum name or number: OTLP/JSON accepts both. */
  kind?: string | number;
  startOffsetMs?: number;
  durationMs?: number;
  attributes?: Json[];
  status?: Json;
  events?: Json[];
  links?: Json[];
}

export function span(input: SpanInput): Json {
  const start = T0 + BigInt(Math.round((input.startOffsetMs ?? 0) * 1e6));
  const end = start + BigInt(Math.round((input.durationMs ?? 1) * 1e6));
  return {
    traceId: input.traceId,
    spanId: input.spanId,
    ...(input.parentSpanId ? { parentSpanId: input.parentSpanId } : {}),
    name: input.name,
    kind: input.kind ?? 'SPAN_KIND_INTERNAL',
    startTimeUnixNano: ns(start),
    endTimeUnixNano: ns(end),
    attributes: input.attributes ?? [],
    ...(input.status ? { status: input.status } : {}),
    events: input.events ?? [],
    links: input.links ?? [],
  };
}

export function traceRequest(serviceName: string, spans: Json[], scope: Json = { name: 'test-scope', version: '1.2.3' }): Json {
  return { resourceSpans: [{ resource: resource(serviceName), scopeSpans: [{ scope, spans }] }] };
}

export function metricsRequest(serviceName: string, metrics: Json[]): Json {
  return { resourceMetrics: [{ resource: resource(serviceName), scopeMetrics: [{ scope: { name: 'test-meter' }, metrics }] }] };
}

export function logsRequest(serviceName: string, logRecords: Json[]): Json {
  return { resourceLogs: [{ resource: resource(serviceName), scopeLogs: [{ scope: { name: 'test-logger' }, logRecords }] }] };
}

const idKeys = new Set(['traceId', 'spanId', 'parentSpanId']);

// Hex ids → bytes, as a protobuf producer would hold them.
function withBinaryIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withBinaryIds);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node).map(([k, v]) => [k, idKeys.has(k) && typeof v === 'string' ? Buffer.from(v, 'hex') : withBinaryIds(v)]),
  );
}

/** Encodes an OTLP/JSON-shaped request as binary protobuf. */
export function toProtobuf(signal: OtlpSignal, request: Json): Buffer {
  const type = loadOtlpProto().request[signal];
  const message = type.fromObject(withBinaryIds(request) as Json);
  const problem = type.verify(message);
  if (problem) throw new Error(`test payload does not fit the schema: ${problem}`);
  return Buffer.from(type.encode(message).finish());
}

export interface PostOptions {
  encoding?: OtlpEncoding;
  gzip?: boolean;
  contentType?: string;
  signal?: AbortSignal;
}

/** POSTs a request to the receiver the way an OTLP/HTTP exporter does. */
export async function post(baseUrl: string, signal: OtlpSignal, request: Json | Buffer | string, options: PostOptions = {}): Promise<Response> {
  const encoding = options.encoding ?? 'protobuf';
  let body: Buffer;
  if (Buffer.isBuffer(request)) body = request;
  else if (typeof request === 'string') body = Buffer.from(request);
  else body = encoding === 'json' ? Buffer.from(JSON.stringify(request)) : toProtobuf(signal, request);
  if (options.gzip) body = gzipSync(body);
  const headers: Record<string, string> = {
    'Content-Type': options.contentType ?? (encoding === 'json' ? 'application/json' : 'application/x-protobuf'),
  };
  if (options.gzip) headers['Content-Encoding'] = 'gzip';
  return fetch(`${baseUrl}/v1/${signal}`, { method: 'POST', headers, body, ...(options.signal ? { signal: options.signal } : {}) });
}

/** Ids used across tests: 32/16 hex characters. */
export const TRACE_A = '5b8efff798038103d269b633813fc60c';
export const TRACE_B = '0af7651916cd43dd8448eb211c80319c';
export const SPAN_1 = 'eee19b7ec3c1b174';
export const SPAN_2 = 'eee19b7ec3c1b173';
export const SPAN_3 = '00f067aa0ba902b7';
export const SPAN_4 = '53995c3f42cd8ad8';
