import { SpanKind, type Attributes } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { MIGRATED_SCOPES, SOCKET_IO_SCOPE, semconvMigrationSpanProcessor } from './semconv-migration';

/** The attributes a span of `scope` is exported with, after the migration processor (the real SDK, in memory). */
async function exported(scope: string, attributes: Attributes, kind = SpanKind.CLIENT, keepOldRpcKeys = false): Promise<Attributes> {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [semconvMigrationSpanProcessor(keepOldRpcKeys), new SimpleSpanProcessor({ exporter })] });
  provider.getTracer(scope).startSpan('span', { kind, attributes }).end();
  await provider.forceFlush();
  const [span, ...more] = exporter.getFinishedSpans();
  expect(span).toBeDefined();
  expect(more).toEqual([]);
  return span?.attributes ?? {};
}

const GRPC = '@opentelemetry/instrumentation-grpc';
const PG = '@opentelemetry/instrumentation-pg';
const OLD_GRPC = { 'rpc.system': 'grpc', 'rpc.service': 'mcp.test.Greeter', 'rpc.method': 'SayHello', 'rpc.grpc.status_code': 14, 'grpc.error_name': 'Error' };

describe('semconvMigrationSpanProcessor', () => {
  it('migrates the gRPC instrumentation\'s spans to the stable RPC keys and drops the old and the non-convention ones', async () => {
    expect(MIGRATED_SCOPES.has(GRPC)).toBe(true);
    expect(await exported(GRPC, OLD_GRPC)).toEqual({ 'rpc.system.name': 'grpc', 'rpc.method': 'mcp.test.Greeter/SayHello', 'rpc.status_code': 'UNAVAILABLE', 'error.type': 'UNAVAILABLE' });
    expect(await exported(GRPC, { ...OLD_GRPC, 'rpc.grpc.status_code': 3 }, SpanKind.SERVER)).toEqual({
      'rpc.system.name': 'grpc',
      'rpc.method': 'mcp.test.Greeter/SayHello',
      'rpc.status_code': 'INVALID_ARGUMENT',
    });
    expect(await exported(GRPC, OLD_GRPC, SpanKind.CLIENT, true)).toMatchObject({ 'rpc.system': 'grpc', 'rpc.service': 'mcp.test.Greeter', 'rpc.grpc.status_code': 14 });
  });

  it('drops the pg instrumentation\'s pool settings, which no convention defines', async () => {
    expect(await exported(PG, { 'db.system.name': 'postgresql', 'db.postgresql.idle.timeout.millis': 10_000, 'db.postgresql.max.client': 10 })).toEqual({ 'db.system.name': 'postgresql' });
  });

  it('brings the socket.io instrumentation\'s spans to the current messaging keys', async () => {
    expect(await exported(SOCKET_IO_SCOPE, { 'messaging.system': 'socket.io', 'messaging.socket.io.event_name': 'hello' }, SpanKind.PRODUCER)).toEqual({
      'messaging.system.name': 'socket.io',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
      'messaging.destination.name': 'hello',
    });
  });

  it('leaves the spans of every other scope as they were (it does not look at them)', async () => {
    expect(await exported('@mcp/otel-bootstrap/http-server', { ...OLD_GRPC, 'db.postgresql.max.client': 10 })).toEqual({ ...OLD_GRPC, 'db.postgresql.max.client': 10 });
  });
});
