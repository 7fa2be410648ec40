import type { ViewOptions, AggregationType } from '@opentelemetry/sdk-metrics';

/**
 * The seed's explicit buckets (0 ms to 10 s), in seconds: the stable HTTP semantic conventions
 * measure `http.*.request.duration` in seconds, where the seed's `http.*.duration` was in ms.
 */
export const DURATION_BUCKETS_SECONDS: readonly number[] = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000].map(
  (ms) => ms / 1000,
);

export const HISTOGRAM_VIEW_INSTRUMENTS = ['http.server.request.duration', 'http.client.request.duration'] as const;

export function histogramViews(aggregationType: typeof AggregationType): ViewOptions[] {
  return HISTOGRAM_VIEW_INSTRUMENTS.map((instrumentName) => ({
    instrumentName,
    aggregation: { type: aggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [...DURATION_BUCKETS_SECONDS] } },
  }));
}
