import { SpanKind, context, trace } from '@opentelemetry/api';
import { startOtlpReceiver } from '@mcp/otlp-receiver';
import type { OtlpReceiver } from '@mcp/otlp-receiver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractTraceContext, injectTraceContext, startWebTracing, withTraceContext } from '../src/index';
import type { WebTracing } from '../src/index';

describe('otel-web', () => {
  let receiver: OtlpReceiver;
  let tracing: WebTracing;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    tracing = startWebTracing({ serviceName: 'web-test', collectorUrl: receiver.endpoints.traces, scheduledDelayMillis: 10 });
  });
  afterAll(async () => {
    await tracing.shutdown();
    await receiver.close();
  });

  it('is idempotent', () => {
    expect(startWebTracing({ serviceName: 'other', collectorUrl: '/x' })).toBe(tracing);
  });

  it('puts the active span into _otel as a W3C traceparent, and reads it back on the other side', async () => {
    const tracer = trace.getTracer('test');
    const span = tracer.startSpan('send session:join', { kind: SpanKind.PRODUCER });
    const { traceId, spanId } = span.spanContext();
    const payload = context.with(trace.setSpan(context.active(), span), () => withTraceContext({ session_id: 's1', user_id: 'ada' }));
    span.end();
    expect(payload).toEqual({ session_id: 's1', user_id: 'ada', _otel: { traceparent: `00-${traceId}-${spanId}-01` } });

    const received = extractTraceContext(payload);
    expect(received.payload).toEqual({ session_id: 's1', user_id: 'ada' });
    expect(trace.getSpanContext(received.context)).toMatchObject({ traceId, spanId, isRemote: true });

    await tracing.forceFlush();
    const [exported] = await receiver.waitForSpans({ name: 'send session:join' });
    expect(exported).toMatchObject({ traceId, spanId, kind: 'PRODUCER', resource: { 'service.name': 'web-test', 'telemetry.sdk.language': 'webjs' } });
  });

  it('carries nothing without a span, and ignores junk in an incoming _otel', () => {
    expect(injectTraceContext()).toEqual({});
    expect(withTraceContext({ a: 1 })).toEqual({ a: 1 });
    const junk = extractTraceContext({ a: 1, _otel: { traceparent: 42, tracestate: 'x'.repeat(10_000) } });
    expect(junk.payload).toEqual({ a: 1 });
    expect(trace.getSpanContext(junk.context)).toBeUndefined();
  });
});
