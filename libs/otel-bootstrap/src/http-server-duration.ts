import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import type { CollectionResult, MetricProducer, MetricReader } from '@opentelemetry/sdk-metrics';
import type { Resource } from '@opentelemetry/resources';
import { REQUEST_DURATION_BUCKETS_SECONDS } from '@mcp/contracts/duration-buckets';
import { load } from './packages';

// `http.server.request.duration`, aggregated here instead of by an SDK histogram: the SDK finds the
// series of each recording by sorting and JSON-serialising its attributes, ~1 µs on every request
// (BENCHMARKS.md, "Instructions per request"). Here a request's series is found by one string key
// and the histogram is handed to each metric reader as a MetricProducer at collection: the same
// metric (name, unit, buckets, attributes, scope), with each reader's temporality, min and max, and
// the SDK's cardinality limit (2000 series, then `otel.metric.overflow`).
// What it gives up: the SDK's Views do not see this metric (a user's View on its name, other buckets
// or dropped attributes, does not apply), and it has no exemplars (the JS SDK records none anyway).

/**
 * The seed's HTTP buckets (0 ms to 10 s), in seconds: the stable HTTP semantic conventions measure
 * `http.*.request.duration` in seconds, where the seed's `http.*.duration` was in ms. The seed
 * listed its HTTP buckets from 0 (the SDK's default boundaries); the shared list, which the other
 * hops' histograms use as the conventions advise, starts at 5 ms: the 0 keeps these the seed's.
 */
export const DURATION_BUCKETS_SECONDS: readonly number[] = [0, ...REQUEST_DURATION_BUCKETS_SECONDS];

/** The scope the instrument had as the HTTP server instrumentation's own (http-server.ts). */
export const HTTP_SERVER_SCOPE = { name: '@mcp/otel-bootstrap/http-server', version: '1.0.0' } as const;

/** The SDK's default `aggregationCardinalityLimit`. */
const CARDINALITY_LIMIT = 2000;
const OVERFLOW_KEY = '\u0000overflow';

interface Series {
  readonly attributes: Attributes;
  readonly startTime: HrTime;
  readonly counts: number[];
  sum: number;
  count: number;
  min: number;
  max: number;
}

/** What one reader has not collected yet (delta) or everything since the start (cumulative). */
class ReaderSeries implements MetricProducer {
  series = new Map<string, Series>();
  private lastCollection: HrTime = now();
  reader: MetricReader | undefined;

  constructor(private readonly resource: Resource) {}

  collect(): Promise<CollectionResult> {
    const m = load.sdkMetrics();
    const time = now();
    const temporality = this.reader?.selectAggregationTemporality(m.InstrumentType.HISTOGRAM) ?? m.AggregationTemporality.CUMULATIVE;
    const delta = temporality === m.AggregationTemporality.DELTA;
    const series = [...this.series.values()];
    const startOfInterval = this.lastCollection;
    if (delta) this.series = new Map();
    this.lastCollection = time;
    const dataPoints = series.map((s) => ({
      attributes: s.attributes,
      startTime: delta ? startOfInterval : s.startTime,
      endTime: time,
      value: { buckets: { boundaries: [...DURATION_BUCKETS_SECONDS], counts: [...s.counts] }, sum: s.sum, count: s.count, min: s.min, max: s.max },
    }));
    const metrics =
      dataPoints.length === 0
        ? []
        : [
            {
              scope: { ...HTTP_SERVER_SCOPE },
              metrics: [
                {
                  descriptor: { name: 'http.server.request.duration', description: 'Duration of HTTP server requests.', unit: 's', valueType: ValueType.DOUBLE },
                  aggregationTemporality: temporality,
                  dataPointType: m.DataPointType.HISTOGRAM,
                  dataPoints,
                },
              ],
            },
          ];
    return Promise.resolve({ resourceMetrics: { resource: this.resource, scopeMetrics: metrics as CollectionResult['resourceMetrics']['scopeMetrics'] }, errors: [] });
  }
}

function now(): HrTime {
  const ms = performance.timeOrigin + performance.now();
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

function bucketOf(seconds: number): number {
  const boundaries = DURATION_BUCKETS_SECONDS;
  let i = 0;
  while (i < boundaries.length && seconds > boundaries[i]!) i++;
  return i;
}

function addTo(series: Series, seconds: number, bucket: number): void {
  series.counts[bucket]! += 1;
  series.sum += seconds;
  series.count += 1;
  if (seconds < series.min) series.min = seconds;
  if (seconds > series.max) series.max = seconds;
}

/**
 * The histogram, one per process: the HTTP server instrumentation records into it, each reader the
 * meter provider was created with collects from it. With no reader (OTEL_METRICS_EXPORTER=none) a
 * recording costs nothing.
 */
export class ServerDurationHistogram {
  private readers: ReaderSeries[] = [];

  /** A MetricProducer for the `metricProducers` of one reader; `bind` it to the reader once created. */
  producer(resource: Resource): { producer: MetricProducer; bind(reader: MetricReader): void } {
    const series = new ReaderSeries(resource);
    this.readers.push(series);
    return { producer: series, bind: (reader) => (series.reader = reader) };
  }

  get active(): boolean {
    return this.readers.length > 0;
  }

  /** One request; `attributes` is called only for the first request of a series. */
  record(seconds: number, key: string, attributes: () => Attributes): void {
    const bucket = bucketOf(seconds);
    for (const reader of this.readers) {
      let series = reader.series.get(key);
      if (series === undefined) {
        const overflow = reader.series.size >= CARDINALITY_LIMIT - 1;
        series = overflow ? reader.series.get(OVERFLOW_KEY) : undefined;
        if (series === undefined) {
          series = {
            attributes: overflow ? { 'otel.metric.overflow': true } : attributes(),
            startTime: now(),
            counts: new Array<number>(DURATION_BUCKETS_SECONDS.length + 1).fill(0),
            sum: 0,
            count: 0,
            min: Infinity,
            max: -Infinity,
          };
          reader.series.set(overflow ? OVERFLOW_KEY : key, series);
        }
      }
      addTo(series, seconds, bucket);
    }
  }

  /** Forgets a reader's producer (its reader could not be created, or was shut down). */
  remove(producer: MetricProducer): void {
    this.readers = this.readers.filter((reader) => reader !== producer);
  }
}

export const serverDuration = new ServerDurationHistogram();
