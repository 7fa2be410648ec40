/**
 * The dev run's stand-in for the Collector + Jaeger: an OTLP/HTTP endpoint on 127.0.0.1:4318 that
 * prints every finished trace as an indented tree (service, span, kind, duration) and appends every
 * span, metric point and log record to a JSON-lines file. If something (a real Collector) already
 * listens on the port, it says so and leaves the port to it.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderTraceTree, startOtlpReceiver, type ReceivedSpan } from '@mcp/otlp-receiver';

const port = Number(process.env['TRACE_SINK_PORT'] ?? 4318);
/** A trace is printed once no span of it has arrived for this long. */
const QUIET_MS = Number(process.env['TRACE_SINK_QUIET_MS'] ?? 1500);
const outDir = resolve(process.env['TRACE_SINK_DIR'] ?? join(__dirname, '..', '..', '..', 'tmp', 'telemetry'));
const outFile = join(outDir, `otlp-${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`);

async function main(): Promise<void> {
  let receiver;
  try {
    receiver = await startOtlpReceiver({ host: '127.0.0.1', port });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      console.log(`trace-sink: 127.0.0.1:${port} is taken (a Collector?); telemetry goes there, the sink stays out of the way`);
      return;
    }
    throw error;
  }
  mkdirSync(outDir, { recursive: true });
  console.log(`trace-sink: OTLP/HTTP on ${receiver.url} (traces, metrics, logs); every record → ${outFile}`);

  const pending = new Map<string, { spans: ReceivedSpan[]; last: number }>();
  const tick = setInterval(() => {
    const spans = receiver.spans();
    const metrics = receiver.metrics();
    const logs = receiver.logs();
    receiver.reset();
    const lines = [
      ...spans.map((s) => JSON.stringify({ signal: 'span', ...s }, bigintSafe)),
      ...metrics.map((m) => JSON.stringify({ signal: 'metric', ...m }, bigintSafe)),
      ...logs.map((l) => JSON.stringify({ signal: 'log', ...l }, bigintSafe)),
    ];
    if (lines.length > 0) appendFileSync(outFile, `${lines.join('\n')}\n`);
    const now = Date.now();
    for (const span of spans) {
      const entry = pending.get(span.traceId) ?? { spans: [], last: now };
      entry.spans.push(span);
      entry.last = now;
      pending.set(span.traceId, entry);
    }
    for (const [traceId, entry] of pending) {
      if (now - entry.last < QUIET_MS) continue;
      pending.delete(traceId);
      const services = [...new Set(entry.spans.map((s) => s.serviceName))].join(', ');
      console.log(`\n${renderTraceTree(entry.spans)}\n  services: ${services}`);
    }
  }, 250);

  const stop = async () => {
    clearInterval(tick);
    await receiver.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

function bigintSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

main().catch((error: unknown) => {
  console.error('trace-sink failed:', error);
  process.exit(1);
});
