import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findMetric, logsForTrace, metricPoints, startOtlpReceiver } from '../src';
import type { OtlpEncoding, OtlpReceiver } from '../src';
import { SPAN_1, T0, TRACE_A, TRACE_B, int, logsRequest, metricsRequest, ns, post, str } from './support/otlp-payloads';

let receiver: OtlpReceiver;
beforeEach(async () => {
  receiver = await startOtlpReceiver();
});
afterEach(async () => {
  await receiver.close();
});

const t = (offsetMs: number): string => ns(T0 + BigInt(offsetMs) * 1_000_000n);

const metrics = metricsRequest('billing', [
  {
    name: 'http.server.requests',
    description: 'Handled requests',
    unit: '{request}',
    sum: {
      aggregationTemporality: 'AGGREGATION_TEMPORALITY_CUMULATIVE',
      isMonotonic: true,
      dataPoints: [
        { attributes: [str('route', '/a')], startTimeUnixNano: t(0), timeUnixNano: t(10), asInt: '3' },
        { attributes: [str('route', '/b')], startTimeUnixNano: t(0), timeUnixNano: t(10), asInt: '1' },
      ],
    },
  },
  { name: 'queue.depth', gauge: { dataPoints: [{ timeUnixNano: t(10), asDouble: 2.5 }] } },
  {
    name: 'http.server.request.duration',
    unit: 's',
    histogram: {
      aggregationTemporality: 1,
      dataPoints: [
        {
          attributes: [str('route', '/a')],
          startTimeUnixNano: t(0),
          timeUnixNano: t(10),
          count: '3',
          sum: 0.6,
          min: 0.1,
          max: 0.3,
          bucketCounts: ['1', '2', '0'],
          explicitBounds: [0.1, 0.5],
        },
      ],
    },
  },
  {
    name: 'payload.size',
    exponentialHistogram: {
      aggregationTemporality: 'AGGREGATION_TEMPORALITY_DELTA',
      dataPoints: [{ timeUnixNano: t(10), count: '4', sum: 10, scale: 2, zeroCount: '1', positive: { offset: -1, bucketCounts: ['1', '2'] } }],
    },
  },
  { name: 'rpc.latency', summary: { dataPoints: [{ timeUnixNano: t(10), count: '2', sum: 3, quantileValues: [{ quantile: 0.5, value: 1.5 }] }] } },
]);

describe.each<OtlpEncoding>(['protobuf', 'json'])('metrics over OTLP/HTTP %s', (encoding) => {
  it('flattens one record per data point for every metric type', async () => {
    expect((await post(receiver.url, 'metrics', metrics, { encoding })).status).toBe(200);
    const points = receiver.metrics();
    expect(points.map((p) => `${p.name}:${p.type}`)).toEqual([
      'http.server.requests:sum',
      'http.server.requests:sum',
      'queue.depth:gauge',
      'http.server.request.duration:histogram',
      'payload.size:exponentialHistogram',
      'rpc.latency:summary',
    ]);
    expect(points[0]).toMatchObject({
      description: 'Handled requests',
      unit: '{request}',
      isMonotonic: true,
      temporality: 'CUMULATIVE',
      attributes: { route: '/a' },
      startTimeUnixNano: T0,
      timeUnixNano: T0 + 10_000_000n,
      value: 3,
      histogram: undefined,
      serviceName: 'billing',
      scope: { name: 'test-meter', version: undefined },
      encoding,
    });
    expect(points[2]).toMatchObject({ value: 2.5, temporality: undefined, isMonotonic: undefined });
    expect(points[3]?.temporality).toBe('DELTA');
    expect(points[3]?.histogram).toEqual({ count: 3, sum: 0.6, min: 0.1, max: 0.3, bucketCounts: [1, 2, 0], explicitBounds: [0.1, 0.5] });
    expect(points[4]?.exponentialHistogram).toEqual({
      count: 4,
      sum: 10,
      min: undefined,
      max: undefined,
      scale: 2,
      zeroCount: 1,
      zeroThreshold: 0,
      positive: { offset: -1, bucketCounts: [1, 2] },
      negative: { offset: 0, bucketCounts: [] },
    });
    expect(points[5]?.summary).toEqual({ count: 2, sum: 3, quantiles: [{ quantile: 0.5, value: 1.5 }] });
  });

  it('findMetric returns the latest point whose attributes include the given ones', async () => {
    await post(receiver.url, 'metrics', metrics, { encoding });
    const later = metricsRequest('billing', [
      {
        name: 'http.server.requests',
        sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ attributes: [str('route', '/a')], timeUnixNano: t(20), asInt: '5' }] },
      },
    ]);
    await post(receiver.url, 'metrics', later, { encoding, gzip: true });
    const all = receiver.metrics();
    expect(findMetric(all, 'http.server.requests', { route: '/a' })?.value).toBe(5);
    expect(findMetric(all, 'http.server.requests', { route: '/b' })?.value).toBe(1);
    expect(findMetric(all, 'http.server.requests', { route: '/c' })).toBeUndefined();
    expect(metricPoints(all, 'http.server.requests')).toHaveLength(3);
    expect(receiver.requests.metrics).toMatchObject({ [encoding]: 2, gzip: 1, accepted: 2 });
  });
});

describe.each<OtlpEncoding>(['protobuf', 'json'])('logs over OTLP/HTTP %s', (encoding) => {
  const logs = logsRequest('billing', [
    {
      timeUnixNano: t(1),
      observedTimeUnixNano: t(2),
      severityNumber: 'SEVERITY_NUMBER_WARN',
      severityText: 'WARN',
      body: { stringValue: 'card declined' },
      attributes: [str('order.id', 'o-1'), int('attempt', 2)],
      traceId: TRACE_A,
      spanId: SPAN_1,
      flags: 1,
    },
    { severityNumber: 9, body: { kvlistValue: { values: [str('event', 'started')] } }, eventName: 'app.started' },
  ]);

  it('flattens log records with body, severity, trace context, resource and scope', async () => {
    expect((await post(receiver.url, 'logs', logs, { encoding })).status).toBe(200);
    const [first, second] = receiver.logs();
    expect(first).toEqual({
      body: 'card declined',
      severityNumber: 13,
      severityText: 'WARN',
      eventName: undefined,
      attributes: { 'order.id': 'o-1', attempt: 2 },
      traceId: TRACE_A,
      spanId: SPAN_1,
      timeUnixNano: T0 + 1_000_000n,
      observedTimeUnixNano: T0 + 2_000_000n,
      flags: 1,
      resource: { 'service.name': 'billing' },
      serviceName: 'billing',
      scope: { name: 'test-logger', version: undefined },
      encoding,
    });
    expect(second).toMatchObject({ body: { event: 'started' }, eventName: 'app.started', traceId: undefined, spanId: undefined, timeUnixNano: 0n });
    expect(logsForTrace(receiver.logs(), TRACE_A)).toEqual([first]);
    expect(logsForTrace(receiver.logs(), TRACE_B)).toEqual([]);
  });
});
