// A discarding OTLP/HTTP receiver for load tests: it answers 200 to every export, counts the spans
// in each protobuf (or JSON) trace request by walking the wire format without decoding it, keeps
// nothing, and reads the SDK's self-metric of spans dropped at a full queue from JSON metric exports.
// Run as a child process (`node sink.mjs`): it prints {"port":N} and answers IPC messages
// "stats" (→ {spans, requests, bytes, queueFullDrops}) and "reset".
import { createServer } from 'node:http';

/** Reads a varint at `pos`; returns [value, nextPos]. Values here stay far below 2^53. */
function varint(buf, pos) {
  let value = 0;
  let mul = 1;
  for (;;) {
    const b = buf[pos++];
    value += (b & 0x7f) * mul;
    if (b < 0x80) return [value, pos];
    mul *= 128;
  }
}

/** Calls `onField(fieldNumber, start, end)` for each length-delimited field of buf[start, end). */
function eachLenField(buf, start, end, onField) {
  let pos = start;
  while (pos < end) {
    let key;
    [key, pos] = varint(buf, pos);
    const wire = key & 7;
    if (wire === 2) {
      let len;
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
export function countSpansProtobuf(buf) {
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

function countSpansJson(text) {
  let n = 0;
  for (const rs of JSON.parse(text).resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) n += ss.spans?.length ?? 0;
  return n;
}

/** Cumulative `otel.sdk.processor.span.processed{error.type=queue_full}` from an OTLP/JSON metrics body. */
function queueFullDrops(text) {
  let total;
  for (const rm of JSON.parse(text).resourceMetrics ?? []) {
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

export function startSink(port = 0) {
  const stats = { spans: 0, requests: 0, bytes: 0, queueFullDrops: 0, selfMetricsSeen: false };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
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
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({ server, stats, port: server.address().port })));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { stats, port } = await startSink(Number(process.argv[2]) || 0);
  process.on('message', (msg) => {
    if (msg === 'reset') Object.assign(stats, { spans: 0, requests: 0, bytes: 0, queueFullDrops: 0, selfMetricsSeen: false });
    process.send?.({ type: 'stats', ...stats });
  });
  process.stdout.write(JSON.stringify({ port }) + '\n');
  process.on('disconnect', () => process.exit(0));
}
