import { randomBytes } from 'node:crypto';
import { startOtlpReceiver, type OtlpReceiver, type OtlpReceiverOptions, type ReceivedSpan } from '@mcp/otlp-receiver';
import { afterAll, afterEach } from 'vitest';

const receivers = new Set<OtlpReceiver>();

async function closeAll(): Promise<void> {
  const open = [...receivers];
  receivers.clear();
  await Promise.all(open.map((receiver) => receiver.close()));
}

/** Installs afterEach/afterAll hooks closing every receiver {@link startReceiver} opened in this file. */
export function useReceiverCleanup(): void {
  afterEach(closeAll);
  afterAll(closeAll);
}

/** An in-process OTLP receiver on 127.0.0.1 and a free port, closed by {@link useReceiverCleanup}'s hooks. */
export async function startReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const receiver = await startOtlpReceiver({ defaultTimeoutMs: 15_000, ...options });
  receivers.add(receiver);
  return receiver;
}

/** The seed's histogram buckets (0 ms .. 10 s) in seconds, as the stable HTTP semantic conventions measure. */
export const SEED_BUCKETS_SECONDS = [0, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

let counter = 0;

/** A service name no other test (in this or another worker) uses, so receivers can be shared safely. */
export function uniqueServiceName(label: string): string {
  counter += 1;
  return `otel-test-${label}-${process.pid}-${counter}`;
}

/** A fresh W3C trace context: ids to send in `traceparent` and look for in the exported spans. */
export interface TraceParent {
  traceId: string;
  parentSpanId: string;
  header: string;
}

export function traceparent(sampled: boolean): TraceParent {
  const traceId = randomBytes(16).toString('hex');
  const parentSpanId = randomBytes(8).toString('hex');
  return { traceId, parentSpanId, header: `00-${traceId}-${parentSpanId}-${sampled ? '01' : '00'}` };
}

/** Spans of one service. */
export function spansOf(receiver: OtlpReceiver, serviceName: string): ReceivedSpan[] {
  return receiver.spans().filter((span) => span.serviceName === serviceName);
}

/** The HTTP server span (instrumentation-http) of a service's request to `path`. */
export function isHttpServerSpan(path: string): (span: ReceivedSpan) => boolean {
  return (span) => span.kind === 'SERVER' && span.attributes['url.path'] === path;
}

/** The database statement, under the stable (`db.query.text`) or the older (`db.statement`) name. */
export function dbStatement(span: ReceivedSpan): string | undefined {
  const value = span.attributes['db.query.text'] ?? span.attributes['db.statement'];
  return typeof value === 'string' ? value : undefined;
}

/** The database system, under the stable (`db.system.name`) or the older (`db.system`) name. */
export function dbSystem(span: ReceivedSpan): string | undefined {
  const value = span.attributes['db.system.name'] ?? span.attributes['db.system'];
  return typeof value === 'string' ? value : undefined;
}

/** The first element, which must exist (a `waitFor*` result is never empty). */
export function first<T>(items: readonly T[], what = 'a record'): T {
  const item = items[0];
  if (item === undefined) throw new Error(`expected ${what}, got none`);
  return item;
}
