import { attributesInclude } from './match';
import type { Attributes, ReceivedLog, ReceivedMetricPoint } from './types';

/** All data points of metric `name` whose attributes include `attributes`, in received order. */
export function metricPoints(
  metrics: readonly ReceivedMetricPoint[],
  name: string,
  attributes?: Attributes,
): ReceivedMetricPoint[] {
  return metrics.filter((m) => m.name === name && attributesInclude(m.attributes, attributes));
}

/**
 * The latest data point of metric `name` whose attributes include `attributes` (other attributes
 * are ignored), or `undefined`. "Latest" is the highest `timeUnixNano`, then the last received;
 * for cumulative metrics that is the current total.
 */
export function findMetric(
  metrics: readonly ReceivedMetricPoint[],
  name: string,
  attributes?: Attributes,
): ReceivedMetricPoint | undefined {
  let latest: ReceivedMetricPoint | undefined;
  for (const point of metricPoints(metrics, name, attributes)) {
    if (!latest || point.timeUnixNano >= latest.timeUnixNano) latest = point;
  }
  return latest;
}

/** The log records emitted inside trace `traceId`, in received order. */
export function logsForTrace(logs: readonly ReceivedLog[], traceId: string): ReceivedLog[] {
  return logs.filter((log) => log.traceId === traceId);
}
