import { AggregationTemporality, DataPointType, type HistogramMetricData, type MetricReader } from '@opentelemetry/sdk-metrics';
import { defaultResource } from '@opentelemetry/resources';
import { describe, expect, it } from 'vitest';
import { DURATION_BUCKETS_SECONDS, ServerDurationHistogram } from './http-server-duration';

function readerOf(temporality: AggregationTemporality): MetricReader {
  return { selectAggregationTemporality: () => temporality } as unknown as MetricReader;
}

async function points(producer: { collect(): Promise<unknown> }) {
  const { resourceMetrics } = (await producer.collect()) as { resourceMetrics: { scopeMetrics: Array<{ scope: { name: string }; metrics: HistogramMetricData[] }> } };
  const metric = resourceMetrics.scopeMetrics[0]?.metrics[0];
  return { scope: resourceMetrics.scopeMetrics[0]?.scope, metric, dataPoints: metric?.dataPoints ?? [] };
}

describe('ServerDurationHistogram', () => {
  it('aggregates per key into the seed buckets with sum, count, min and max, attributes made once per series', async () => {
    const histogram = new ServerDurationHistogram();
    const { producer, bind } = histogram.producer(defaultResource());
    bind(readerOf(AggregationTemporality.CUMULATIVE));
    let made = 0;
    const attributes = () => (made++, { 'http.request.method': 'GET', 'http.route': '/a' });
    for (const seconds of [0.001, 0.004, 0.3, 20]) histogram.record(seconds, 'GET /a', attributes);
    histogram.record(0.01, 'POST /b', () => ({ 'http.request.method': 'POST' }));
    expect(made).toBe(1);

    const { scope, metric, dataPoints } = await points(producer);
    expect(scope?.name).toBe('@mcp/otel-bootstrap/http-server');
    expect(metric).toMatchObject({ descriptor: { name: 'http.server.request.duration', unit: 's' }, dataPointType: DataPointType.HISTOGRAM, aggregationTemporality: AggregationTemporality.CUMULATIVE });
    expect(dataPoints).toHaveLength(2);
    const a = dataPoints.find((p) => p.attributes['http.route'] === '/a')!;
    expect(a.value.buckets.boundaries).toEqual(DURATION_BUCKETS_SECONDS);
    // 0.001 and 0.004 in (0, 0.005], 0.3 in (0.25, 0.5], 20 above the last boundary.
    const expected = new Array(DURATION_BUCKETS_SECONDS.length + 1).fill(0);
    expected[1] = 2;
    expected[8] = 1;
    expected[DURATION_BUCKETS_SECONDS.length] = 1;
    expect(a.value).toMatchObject({ count: 4, min: 0.001, max: 20, buckets: { counts: expected } });
    expect(a.value.sum).toBeCloseTo(20.305);
  });

  it('cumulative keeps counting across collections; delta reports each interval once', async () => {
    const histogram = new ServerDurationHistogram();
    const cumulative = histogram.producer(defaultResource());
    cumulative.bind(readerOf(AggregationTemporality.CUMULATIVE));
    const delta = histogram.producer(defaultResource());
    delta.bind(readerOf(AggregationTemporality.DELTA));
    histogram.record(0.1, 'k', () => ({}));
    await points(cumulative.producer);
    expect((await points(delta.producer)).dataPoints[0]?.value.count).toBe(1);
    histogram.record(0.2, 'k', () => ({}));
    expect((await points(cumulative.producer)).dataPoints[0]?.value).toMatchObject({ count: 2, min: 0.1, max: 0.2 });
    expect((await points(delta.producer)).dataPoints[0]?.value).toMatchObject({ count: 1, min: 0.2, max: 0.2 });
    expect((await points(delta.producer)).dataPoints).toHaveLength(0);
  });

  it('folds series beyond the SDK default cardinality limit (2000) into otel.metric.overflow', async () => {
    const histogram = new ServerDurationHistogram();
    const { producer } = histogram.producer(defaultResource());
    for (let i = 0; i < 2100; i++) histogram.record(0.01, `k${i}`, () => ({ 'http.route': `/r${i}` }));
    const { dataPoints } = await points(producer);
    expect(dataPoints).toHaveLength(2000);
    expect(dataPoints.find((p) => p.attributes['otel.metric.overflow'] === true)?.value.count).toBe(2100 - 1999);
  });

  it('records nothing without a reader', () => {
    const histogram = new ServerDurationHistogram();
    expect(histogram.active).toBe(false);
  });
});
