import { formatValue, truncate } from './match';
import { testPattern } from './trace-helpers';
import type { AttrValue, Attributes, OtlpSignal, ReceivedLog, ReceivedMetricPoint, ReceivedSpan, ScanHit } from './types';

/** Received telemetry to scan; any list may be omitted. */
export interface TelemetrySnapshot {
  /** Spans to scan. */
  spans?: readonly ReceivedSpan[];
  /** Metric data points to scan. */
  metrics?: readonly ReceivedMetricPoint[];
  /** Log records to scan. */
  logs?: readonly ReceivedLog[];
}

type Needle = string | RegExp;
type Visit = (path: string, text: string) => void;

export function makeTester(needle: Needle): (text: string) => boolean {
  return typeof needle === 'string' ? (text) => text.includes(needle) : (text) => testPattern(needle, text);
}

function walkValue(value: AttrValue | undefined, path: string, visit: Visit): void {
  if (typeof value === 'string') visit(path, value);
  // Bytes can carry text too (e.g. a serialized payload); scan them as UTF-8.
  else if (value instanceof Uint8Array) visit(path, Buffer.from(value).toString('utf8'));
  else if (Array.isArray(value)) value.forEach((v, i) => walkValue(v, `${path}[${i}]`, visit));
  else if (value !== null && typeof value === 'object') walkAttributes(value, path, visit);
}

function walkAttributes(attrs: Attributes, path: string, visit: Visit): void {
  for (const [key, value] of Object.entries(attrs)) {
    visit(`${path} key ${JSON.stringify(key)}`, key);
    walkValue(value, `${path}[${JSON.stringify(key)}]`, visit);
  }
}

function walkOrigin(record: ReceivedSpan | ReceivedMetricPoint | ReceivedLog, visit: Visit): void {
  walkAttributes(record.resource, 'resource', visit);
  visit('scope.name', record.scope.name);
  if (record.scope.version !== undefined) visit('scope.version', record.scope.version);
}

function walkSpan(span: ReceivedSpan, visit: Visit): void {
  visit('name', span.name);
  if (span.traceState !== undefined) visit('traceState', span.traceState);
  if (span.status.message !== undefined) visit('status.message', span.status.message);
  walkAttributes(span.attributes, 'attributes', visit);
  span.events.forEach((e, i) => {
    visit(`events[${i}].name`, e.name);
    walkAttributes(e.attributes, `events[${i}].attributes`, visit);
  });
  span.links.forEach((l, i) => {
    if (l.traceState !== undefined) visit(`links[${i}].traceState`, l.traceState);
    walkAttributes(l.attributes, `links[${i}].attributes`, visit);
  });
  walkOrigin(span, visit);
}

function walkMetric(point: ReceivedMetricPoint, visit: Visit): void {
  visit('name', point.name);
  visit('description', point.description);
  visit('unit', point.unit);
  walkAttributes(point.attributes, 'attributes', visit);
  walkOrigin(point, visit);
}

function walkLog(log: ReceivedLog, visit: Visit): void {
  walkValue(log.body, 'body', visit);
  if (log.severityText !== undefined) visit('severityText', log.severityText);
  if (log.eventName !== undefined) visit('eventName', log.eventName);
  walkAttributes(log.attributes, 'attributes', visit);
  walkOrigin(log, visit);
}

function labelOf(signal: OtlpSignal, record: ReceivedSpan | ReceivedMetricPoint | ReceivedLog): string {
  if (signal === 'logs') {
    const body = (record as ReceivedLog).body;
    return `log ${truncate(typeof body === 'string' ? body : formatValue(body), 60)} (${record.serviceName})`;
  }
  const kind = signal === 'traces' ? 'span' : 'metric';
  return `${kind} ${(record as ReceivedSpan | ReceivedMetricPoint).name} (${record.serviceName})`;
}

/** Scans records of one signal, appending hits; returns how many strings matched (deduplicated ones included). */
export function scanRecords(
  signal: OtlpSignal,
  records: readonly (ReceivedSpan | ReceivedMetricPoint | ReceivedLog)[],
  test: (text: string) => boolean,
  hits: ScanHit[],
  seen: Set<string>,
): number {
  let matched = 0;
  for (const record of records) {
    const visit: Visit = (path, text) => {
      if (!test(text)) return;
      matched++;
      // Resource and scope repeat on every record of a process: report each distinct hit once.
      const shared = path.startsWith('resource') || path.startsWith('scope.');
      const label = shared ? `service ${record.serviceName}` : labelOf(signal, record);
      const key = `${signal}\u0000${path}\u0000${text}\u0000${label}`;
      if (shared && seen.has(key)) return;
      seen.add(key);
      hits.push({ signal, path, value: text, label, record });
    };
    if (signal === 'traces') walkSpan(record as ReceivedSpan, visit);
    else if (signal === 'metrics') walkMetric(record as ReceivedMetricPoint, visit);
    else walkLog(record as ReceivedLog, visit);
  }
  return matched;
}

/**
 * A hit in the raw body of a request (read as UTF-8), or `undefined`: the fallback for fields the
 * flattened records leave out, such as scope attributes.
 */
export function scanRawBody(signal: OtlpSignal, body: Buffer, needle: Needle, test: (text: string) => boolean): ScanHit | undefined {
  const text = body.toString('utf8');
  if (!test(text)) return undefined;
  return { signal, path: 'raw request body', value: snippet(text, needle), label: `${signal} request`, record: undefined };
}

function snippet(text: string, needle: Needle): string {
  const found = typeof needle === 'string' ? { index: text.indexOf(needle), length: needle.length } : matchOf(text, needle);
  const around = text.slice(Math.max(0, found.index - 30), found.index + found.length + 30);
  // Protobuf framing bytes are not text; show them (and undecodable bytes) as dots.
  return [...around].map((ch) => (isPrintable(ch) ? ch : '.')).join('');
}

function matchOf(text: string, pattern: RegExp): { index: number; length: number } {
  const match = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')).exec(text);
  return { index: match?.index ?? 0, length: match?.[0].length ?? 0 };
}

function isPrintable(ch: string): boolean {
  const code = ch.codePointAt(0) ?? 0;
  return code >= 0x20 && code !== 0x7f && code !== 0xfffd;
}

/**
 * Searches every string of the given telemetry — names, attribute keys and values (nested arrays,
 * kvlists and UTF-8 of bytes included), resource, scope, span events/links/status, log bodies —
 * for `needle` (substring, or RegExp test). Resource/scope hits are reported once per service.
 */
export function scanTelemetry(snapshot: TelemetrySnapshot, needle: string | RegExp): ScanHit[] {
  const test = makeTester(needle);
  const hits: ScanHit[] = [];
  const seen = new Set<string>();
  scanRecords('traces', snapshot.spans ?? [], test, hits, seen);
  scanRecords('metrics', snapshot.metrics ?? [], test, hits, seen);
  scanRecords('logs', snapshot.logs ?? [], test, hits, seen);
  return hits;
}
