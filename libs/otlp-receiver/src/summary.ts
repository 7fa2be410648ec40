import { formatValue, truncate } from './match';
import type { ReceivedLog, ReceivedMetricPoint, ReceivedSpan } from './types';

const maxNamesPerService = 25;

// "name ×3, other" per service, so a timeout message shows what did arrive.
function byService<T extends { serviceName: string }>(records: readonly T[], nameOf: (record: T) => string): string {
  const services = new Map<string, Map<string, number>>();
  for (const record of records) {
    const names = services.get(record.serviceName) ?? new Map<string, number>();
    const name = nameOf(record);
    names.set(name, (names.get(name) ?? 0) + 1);
    services.set(record.serviceName, names);
  }
  const lines: string[] = [];
  for (const [service, names] of services) {
    const total = [...names.values()].reduce((a, b) => a + b, 0);
    const listed = [...names].slice(0, maxNamesPerService).map(([name, n]) => (n > 1 ? `${name} ×${n}` : name));
    if (names.size > maxNamesPerService) listed.push(`… ${names.size - maxNamesPerService} more`);
    lines.push(`  ${service} (${total}): ${listed.join(', ')}`);
  }
  return lines.join('\n');
}

/** "N spans received:" followed by span names (with kind) by service. */
export function summarizeSpans(spans: readonly ReceivedSpan[]): string {
  if (spans.length === 0) return 'no spans were received';
  return `${spans.length} span(s) received, by service:\n${byService(spans, (s) => `${s.name} [${s.kind}]`)}`;
}

/** "N metric points received:" followed by metric names by service. */
export function summarizeMetrics(points: readonly ReceivedMetricPoint[]): string {
  if (points.length === 0) return 'no metrics were received';
  return `${points.length} metric point(s) received, by service:\n${byService(points, (p) => `${p.name} (${p.type})`)}`;
}

/** "N log records received:" followed by truncated bodies by service. */
export function summarizeLogs(logs: readonly ReceivedLog[]): string {
  if (logs.length === 0) return 'no logs were received';
  const bodyOf = (log: ReceivedLog): string =>
    truncate(typeof log.body === 'string' ? log.body : formatValue(log.body), 50);
  return `${logs.length} log record(s) received, by service:\n${byService(logs, bodyOf)}`;
}
