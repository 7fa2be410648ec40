import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOtlpProto, startOtlpReceiver } from '../src';
import type { OtlpReceiver, OtlpSignal } from '../src';
import { otlpGrpcClient } from './support/otlp-grpc-client';
import type { GrpcResult, OtlpGrpcClient } from './support/otlp-grpc-client';
import { SPAN_1, SPAN_2, T0, TRACE_A, TRACE_B, int, logsRequest, metricsRequest, ns, post, span, str, traceRequest } from './support/otlp-payloads';
import type { Json } from './support/otlp-payloads';

let receiver: OtlpReceiver;
let client: OtlpGrpcClient;
beforeEach(async () => {
  receiver = await startOtlpReceiver({ grpc: true });
  client = otlpGrpcClient(receiver.grpcUrl ?? '');
});
afterEach(async () => {
  client.close();
  await receiver.close();
});

const t = (offsetMs: number): string => ns(T0 + BigInt(offsetMs) * 1_000_000n);

const payloads: Record<OtlpSignal, Json> = {
  traces: traceRequest('orders', [
    span({
      traceId: TRACE_A,
      spanId: SPAN_1,
      name: 'GET /orders/:id',
      kind: 'SPAN_KIND_SERVER',
      durationMs: 12.5,
      attributes: [str('http.route', '/orders/:id'), int('http.response.status_code', 200)],
      status: { code: 'STATUS_CODE_ERROR', message: 'boom' },
      events: [{ name: 'exception', timeUnixNano: t(5), attributes: [str('exception.message', 'boom')] }],
      links: [{ traceId: TRACE_B, spanId: SPAN_2 }],
    }),
    span({ traceId: TRACE_A, spanId: SPAN_2, parentSpanId: SPAN_1, name: 'SELECT orders', kind: 3, startOffsetMs: 1, durationMs: 4 }),
  ]),
  metrics: metricsRequest('billing', [
    {
      name: 'http.server.requests',
      unit: '{request}',
      sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ attributes: [str('route', '/a')], timeUnixNano: t(10), asInt: '3' }] },
    },
    {
      name: 'http.server.request.duration',
      unit: 's',
      histogram: {
        aggregationTemporality: 1,
        dataPoints: [{ timeUnixNano: t(10), count: '3', sum: 0.6, bucketCounts: ['1', '2', '0'], explicitBounds: [0.1, 0.5] }],
      },
    },
  ]),
  logs: logsRequest('billing', [
    { timeUnixNano: t(1), severityNumber: 'SEVERITY_NUMBER_WARN', body: { stringValue: 'card declined' }, traceId: TRACE_A, spanId: SPAN_1 },
  ]),
};

const signals: readonly OtlpSignal[] = ['traces', 'metrics', 'logs'];

function records(r: OtlpReceiver, signal: OtlpSignal): Array<{ encoding: string }> {
  return signal === 'traces' ? r.spans() : signal === 'metrics' ? r.metrics() : r.logs();
}

function failure(result: GrpcResult): grpc.ServiceError {
  if (result.ok) throw new Error('expected the call to fail, it succeeded');
  return result.error;
}

describe.each(signals)('%s over OTLP/gRPC', (signal) => {
  it('answers OK with an empty Export*ServiceResponse and counts a grpc request', async () => {
    const result = await client.export(signal, payloads[signal]);
    expect(result.ok, result.ok ? '' : result.error.message).toBe(true);
    const type = loadOtlpProto().response[signal];
    expect(type.toObject(type.decode(result.ok ? result.response : Buffer.alloc(0)))).toEqual({});
    expect(receiver.requests[signal]).toEqual({ protobuf: 0, json: 0, grpc: 1, gzip: 0, accepted: 1, faulted: 0, invalid: 0 });
    expect(receiver.requests.total).toBe(1);
  });

  it('stores the same records as OTLP/HTTP does, with encoding "grpc"', async () => {
    const viaHttp = await startOtlpReceiver();
    try {
      expect((await post(viaHttp.url, signal, payloads[signal])).status).toBe(200);
      expect((await client.export(signal, payloads[signal])).ok).toBe(true);
      const expected = records(viaHttp, signal).map((record) => ({ ...record, encoding: 'grpc' }));
      expect(expected.length).toBeGreaterThan(0);
      expect(records(receiver, signal)).toEqual(expected);
    } finally {
      await viaHttp.close();
    }
  });

  it('decodes gzip-compressed messages (grpc-js inflates them)', async () => {
    expect((await client.export(signal, payloads[signal], { compress: true })).ok).toBe(true);
    expect(records(receiver, signal).length).toBeGreaterThan(0);
  });
});

it('records received over gRPC wake the waits and are scanned', async () => {
  const waiting = receiver.waitForSpans({ name: 'SELECT orders' });
  const logWait = receiver.waitForLogs(1);
  await client.export('traces', payloads.traces);
  await client.export('logs', payloads.logs);
  expect(await waiting).toMatchObject([{ name: 'SELECT orders', parentSpanId: SPAN_1, encoding: 'grpc' }]);
  expect(await logWait).toMatchObject([{ body: 'card declined', traceId: TRACE_A, encoding: 'grpc' }]);
  expect(receiver.scanFor('card declined').map((hit) => `${hit.signal} ${hit.path}`)).toEqual(['logs body']);
});

it('answers INVALID_ARGUMENT for an undecodable message and counts it invalid', async () => {
  const error = failure(await client.export('traces', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f])));
  expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
  expect(error.details).toContain('cannot decode OTLP traces request (grpc)');
  expect(receiver.spans()).toEqual([]);
  expect(receiver.requests.traces).toMatchObject({ grpc: 1, invalid: 1, accepted: 0 });
});

it('leaves methods it does not serve to grpc-js (UNIMPLEMENTED), uncounted', async () => {
  const error = failure(await client.call('/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export', Buffer.alloc(0)));
  expect(error.code).toBe(grpc.status.UNIMPLEMENTED);
  expect(receiver.requests.total).toBe(0);
});

it('refuses a message over maxBodyBytes with RESOURCE_EXHAUSTED (grpc-js enforces it)', async () => {
  const small = await startOtlpReceiver({ grpc: true, maxBodyBytes: 1024 });
  const smallClient = otlpGrpcClient(small.grpcUrl ?? '');
  try {
    const big = traceRequest('svc', [span({ traceId: TRACE_A, spanId: SPAN_1, name: 'x'.repeat(4096) })]);
    expect(failure(await smallClient.export('traces', big)).code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(small.spans()).toEqual([]);
  } finally {
    smallClient.close();
    await small.close();
  }
});

describe('fault injection over gRPC', () => {
  it('respondWith(503, { times }) answers UNAVAILABLE with the message and headers as trailing metadata, then recovers', async () => {
    receiver.respondWith(503, { times: 2, headers: { 'Retry-After': '1' }, message: 'collector overloaded' });
    const first = failure(await client.export('traces', payloads.traces));
    expect(first.code).toBe(grpc.status.UNAVAILABLE);
    expect(first.details).toBe('collector overloaded');
    expect(first.metadata.get('retry-after')).toEqual(['1']);
    // The fault is shared by both transports: the second faulted request arrives over HTTP.
    expect((await post(receiver.url, 'traces', payloads.traces)).status).toBe(503);
    expect(receiver.spans()).toEqual([]);

    expect((await client.export('traces', payloads.traces)).ok).toBe(true);
    expect(receiver.spans()).toHaveLength(2);
    expect(receiver.requests.traces).toMatchObject({ grpc: 2, protobuf: 1, faulted: 2, accepted: 1 });
  });

  it.each([
    [429, grpc.status.RESOURCE_EXHAUSTED],
    [500, grpc.status.INTERNAL],
    [400, grpc.status.INVALID_ARGUMENT],
    [504, grpc.status.DEADLINE_EXCEEDED],
    [418, grpc.status.UNKNOWN],
  ])('maps HTTP %i to gRPC status %i', async (status, code) => {
    receiver.respondWith(status, { times: 1 });
    const error = failure(await client.export('logs', payloads.logs));
    expect(error.code).toBe(code);
    expect(error.details).toBe(`injected fault: ${status}`);
  });

  it('a fault limited to one signal leaves the others alone', async () => {
    receiver.respondWith(503, { signals: ['metrics'] });
    expect(failure(await client.export('metrics', payloads.metrics)).code).toBe(grpc.status.UNAVAILABLE);
    expect((await client.export('traces', payloads.traces)).ok).toBe(true);
    receiver.clearFaults();
    expect((await client.export('metrics', payloads.metrics)).ok).toBe(true);
  });

  it('hang({ times: 1 }) leaves one call unanswered until the client deadline', async () => {
    receiver.hang({ times: 1 });
    const started = Date.now();
    expect(failure(await client.export('traces', payloads.traces, { deadlineMs: 300 })).code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect((await client.export('traces', payloads.traces)).ok).toBe(true);
    expect(receiver.spans()).toHaveLength(2);
    expect(receiver.requests.traces).toMatchObject({ grpc: 2, faulted: 1, accepted: 1 });
  });

  it('setDelay() holds gRPC answers back while the data is stored at once', async () => {
    receiver.setDelay(60_000);
    expect(failure(await client.export('traces', payloads.traces, { deadlineMs: 300 })).code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(receiver.spans()).toHaveLength(2);
    receiver.setDelay(0);
    expect((await client.export('traces', payloads.traces)).ok).toBe(true);
  });
});

describe('close()', () => {
  it('cancels hung gRPC calls, finishes promptly and releases the gRPC port', async () => {
    receiver.hang();
    const pending = client.export('traces', payloads.traces, { deadlineMs: 30_000 });
    await expect.poll(() => receiver.requests.traces.faulted).toBe(1);
    const started = Date.now();
    await receiver.close();
    await receiver.close();
    expect(Date.now() - started).toBeLessThan(2_000);
    const error = failure(await pending);
    expect([grpc.status.UNAVAILABLE, grpc.status.CANCELLED]).toContain(error.code);

    const { grpcPort } = receiver;
    const again = await startOtlpReceiver({ grpc: true, grpcPort });
    try {
      expect(again.grpcPort).toBe(grpcPort);
    } finally {
      await again.close();
    }
  });

  it('does not wait for an idle client connection', async () => {
    expect((await client.export('logs', payloads.logs)).ok).toBe(true);
    const started = Date.now();
    await receiver.close();
    expect(Date.now() - started).toBeLessThan(2_000);
    // The server is gone: a new call fails instead of being served.
    expect(failure(await client.export('logs', payloads.logs, { deadlineMs: 1_000 })).code).not.toBe(grpc.status.OK);
  });

  it('rejects pending waits', async () => {
    const waiting = receiver.waitForSpans(1).catch((error: unknown) => error);
    await receiver.close();
    expect(await waiting).toMatchObject({ message: expect.stringContaining('the receiver was closed') });
  });
});

describe('endpoints and exporterEnv', () => {
  it("exporterEnv('grpc') points an OTLP/gRPC exporter at the gRPC port, plaintext", () => {
    expect(receiver.grpcUrl).toBe(`http://127.0.0.1:${receiver.grpcPort}`);
    expect(receiver.grpcPort).not.toBe(receiver.port);
    expect(receiver.exporterEnv('grpc')).toEqual({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.grpcUrl,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_INSECURE: 'true',
    });
    // HTTP stays served alongside.
    expect(receiver.exporterEnv()).toEqual({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' });
  });

  it('without { grpc: true } there is no gRPC endpoint', async () => {
    const httpOnly = await startOtlpReceiver();
    try {
      expect(httpOnly.grpcUrl).toBeUndefined();
      expect(httpOnly.grpcPort).toBeUndefined();
      expect(() => httpOnly.exporterEnv('grpc')).toThrow(/start it with \{ grpc: true \}/);
    } finally {
      await httpOnly.close();
    }
  });

  it('serves the Export paths of the .proto services', () => {
    expect(loadOtlpProto().grpcPath).toEqual({
      traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
      metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
      logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
    });
  });

  it('a gRPC port already in use fails the start', async () => {
    const { grpcPort } = receiver;
    await expect(startOtlpReceiver({ grpc: true, grpcPort })).rejects.toThrow();
  });

  it('an HTTP port already in use fails the start and releases the gRPC port it had bound', async () => {
    const probe = await startOtlpReceiver({ grpc: true });
    const freeGrpcPort = probe.grpcPort;
    await probe.close();
    await expect(startOtlpReceiver({ grpc: true, grpcPort: freeGrpcPort, port: receiver.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    const again = await startOtlpReceiver({ grpc: true, grpcPort: freeGrpcPort });
    expect(again.grpcPort).toBe(freeGrpcPort);
    await again.close();
  });
});
