import { readFileSync } from 'node:fs';
import type { ReceivedMetricPoint } from '@mcp/otlp-receiver';

/**
 * The SDK's own counts (OTEL_NODE_EXPERIMENTAL_SDK_METRICS=true) of one service, from the latest
 * cumulative point of each attribute set:
 * - created: `otel.sdk.span.started` (sampled spans started) when the SDK reports it (the bootstrap
 *   gives the TracerProvider the self-metrics MeterProvider); where it does not, the spans ended and
 *   handed to the batch processor: exported + dropped + queued,
 * - exported: `otel.sdk.processor.span.processed` without `error.type` (export succeeded),
 * - dropped: the same with `error.type` (`queue_full`, or the export error's name),
 * - queued: `otel.sdk.processor.span.queue.size`, capacity: `otel.sdk.processor.span.queue.capacity`.
 */
export interface SpanCounts {
  created: number;
  exported: number;
  dropped: number;
  droppedBy: Record<string, number>;
  queued: number;
  capacity: number;
  live: number;
}

function latestBySeries(points: ReceivedMetricPoint[], service: string, name: string): ReceivedMetricPoint[] {
  const latest = new Map<string, ReceivedMetricPoint>();
  for (const point of points) {
    if (point.name !== name || point.serviceName !== service) continue;
    const key = JSON.stringify(Object.entries(point.attributes).sort(([a], [b]) => a.localeCompare(b)));
    const seen = latest.get(key);
    if (!seen || seen.timeUnixNano <= point.timeUnixNano) latest.set(key, point);
  }
  return [...latest.values()];
}

export function spanCounts(points: ReceivedMetricPoint[], service: string): SpanCounts {
  const sum = (list: ReceivedMetricPoint[]): number => list.reduce((total, p) => total + (p.value ?? 0), 0);
  const started = latestBySeries(points, service, 'otel.sdk.span.started').filter((p) => p.attributes['otel.span.sampling_result'] !== 'DROP');
  const processed = latestBySeries(points, service, 'otel.sdk.processor.span.processed');
  const ok = processed.filter((p) => p.attributes['error.type'] === undefined);
  const failed = processed.filter((p) => p.attributes['error.type'] !== undefined);
  const droppedBy: Record<string, number> = {};
  for (const p of failed) droppedBy[String(p.attributes['error.type'])] = (droppedBy[String(p.attributes['error.type'])] ?? 0) + (p.value ?? 0);
  const queued = sum(latestBySeries(points, service, 'otel.sdk.processor.span.queue.size'));
  return {
    created: started.length > 0 ? sum(started) : sum(processed) + queued,
    exported: sum(ok),
    dropped: sum(failed),
    droppedBy,
    queued,
    capacity: sum(latestBySeries(points, service, 'otel.sdk.processor.span.queue.capacity')),
    live: sum(latestBySeries(points, service, 'otel.sdk.span.live')),
  };
}

/** Resident set size of a running process, in MiB (Linux /proc). */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Math.round(Number(match[1]) / 1024) : NaN;
}

export const SERVICES = ['frontend', 'workflow-orchestrator', 'model-router', 'collaboration-hub'] as const;
