// A discarding OTLP/HTTP receiver for load tests: it answers 200 to every export, counts the spans
// in each protobuf (or JSON) trace request by walking the wire format without decoding it, keeps
// nothing, and reads the SDK's self-metric of spans dropped at a full queue from JSON metric exports.
// Run as a child process (`node sink.ts`): it prints {"port":N} and answers IPC messages
// "stats" (→ {spans, requests, bytes, queueFullDrops}) and "reset".
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Reads a varint at `pos`; returns [value, nextPos]. Values here stay far below 2^53. */
function varint(buf: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let mul = 1;
  for (;;) {
    const b = buf[pos++] as number;
    value += (b & 0x7f) * mul;
    if (b < 0x80) return [value, pos];
    mul *= 128;
  }
}

/** Calls `onField(fieldNumber, start, end)` for each length-delimited field of buf[start, end). */
function eachLenField(buf: Uint8Array, start: number, end: number, onField: (field: number, start: number, end: number) => void): void {
  let pos = start;
  while (pos < end) {
    let key: number;
    [key, pos] = varint(buf, pos);
    const wire = key & 7;
    if (wire === 2) {
      let len: number;
      [len, pos] = varint(buf, pos);
      onField(key >>> 3, pos, pos + len);
      pos += len;
    } else if (wire === 0) [, pos] = varint(buf, pos);
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new Error(`unexpected wire type ${wire}`);
  }
}

/** ExportTraceServiceRequest{1: ResourceSpans{2: ScopeSpans{2: Span}}}: counts the Span fields. */
export function countSpansProtobuf(buf: Uint8Array): number {
  let n = 0;
  eachLenField(buf, 0, buf.length, (f, s, e) => {
    if (f !== 1) return;
    eachLenField(buf, s, e, (f2, s2, e2) => {
      if (f2 !== 2) return;
      eachLenField(buf, s2, e2, (f3) => {
        if (f3 === 2) n++;
      });
    });
  });
  return n;
}

interface TracesJson {
  resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: unknown[] }> }>;
}

function countSpansJson(text: string): number {
  let n = 0;
  for (const rs of (JSON.parse(text) as TracesJson).resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) n += ss.spans?.length ?? 0;
  return n;
}

interface MetricsJson {
  resourceMetrics?: Array<{
    scopeMetrics?: Array<{
      metrics?: Array<{
        name: string;
        sum?: { dataPoints?: Array<{ attributes?: Array<{ key: string; value?: { stringValue?: string } }>; asInt?: string | number; asDouble?: number }> };
      }>;
    }>;
  }>;
}

/** Cumulative `otel.sdk.processor.span.processed{error.type=queue_full}` from an OTLP/JSON metrics body. */
function queueFullDrops(text: string): number | undefined {
  let total: number | undefined;
  for (const rm of (JSON.parse(text) as MetricsJson).resourceMetrics ?? []) {
    for (const sm of rm.scopeMetrics ?? []) {
      for (const m of sm.metrics ?? []) {
        if (m.name !== 'otel.sdk.processor.span.processed') continue;
        for (const p of m.sum?.dataPoints ?? []) {
          if (p.attributes?.some((a) => a.key === 'error.type' && a.value?.stringValue === 'queue_full')) {
            total = (total ?? 0) + Number(p.asInt ?? p.asDouble ?? 0);
          }
        }
        total ??= 0;
      }
    }
  }
  return total;
}

export interface SinkStats {
  spans: number;
  requests: number;
  bytes: number;
  queueFullDrops: number;
  selfMetricsSeen: boolean;
}

const emptyStats = (): SinkStats => ({ spans: 0, requests: 0, bytes: 0, queueFullDrops: 0, selfMetricsSeen: false });

export function startSink(port = 0): Promise<{ server: Server; stats: SinkStats; port: number }> {
  const stats = emptyStats();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      stats.requests++;
      stats.bytes += body.length;
      const json = (req.headers['content-type'] ?? '').includes('json');
      try {
        if (req.url === '/v1/traces') stats.spans += json ? countSpansJson(body.toString()) : countSpansProtobuf(body);
        else if (req.url === '/v1/metrics' && json) {
          const drops = queueFullDrops(body.toString());
          if (drops !== undefined) {
            stats.selfMetricsSeen = true;
            // Cumulative temporality: the latest export carries the total so far.
            stats.queueFullDrops = Math.max(stats.queueFullDrops, drops);
          }
        }
      } catch {
        // A body we cannot walk is still answered 200; it just is not counted.
      }
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : '');
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({ server, stats, port: (server.address() as AddressInfo).port })));
}

/** The sink as a child process of a benchmark: {"port":N} on stdout, then IPC "stats" / "reset". */
export async function serveSinkProcess(port = 0): Promise<void> {
  const sink = await startSink(port);
  process.on('message', (msg) => {
    if (msg === 'reset') Object.assign(sink.stats, emptyStats());
    process.send?.({ type: 'stats', ...sink.stats });
  });
  process.stdout.write(JSON.stringify({ port: sink.port }) + '\n');
  process.on('disconnect', () => process.exit(0));
}

if (import.meta.main) await serveSinkProcess(Number(process.argv[2]) || 0);
