// CPU time per span of serialising a batch of 1024 HTTP SERVER spans (13 attributes each, made by
// the real SDK) to an OTLP/protobuf ExportTraceServiceRequest: our serialiser
// (libs/otel-bootstrap/dist/otlp-trace-protobuf.js, built) against otlp-transformer's. Each runs in
// its own process (the JIT state of one must not help the other), serialising the same batch
// --batches times; per serialiser: the first batches one by one (a server that exports once per
// 1024 requests pays those, partly unoptimised), and the median and minimum of the second half
// (warm). CPU time of this process, so a busy machine inflates the figures (the minimum the least).
//
//   node tools/bench/src/span-serializer.bench.ts [--batches 400] [--rounds 2]
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Api from '@opentelemetry/api';
import type * as Resources from '@opentelemetry/resources';
import type * as SdkTrace from '@opentelemetry/sdk-trace';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { cliOptions } from './lib/harness.ts';

const root = resolve(import.meta.dirname, '../../..');
const { opt } = cliOptions({ options: ['--batches', '--rounds', '--serializer'] });
const batches = Number(opt('--batches', '400'));
const rounds = Number(opt('--rounds', '2'));
const which = opt('--serializer');
type Serialize = (spans: ReadableSpan[]) => Uint8Array;

if (which === undefined) {
  for (let round = 1; round <= rounds; round++) {
    for (const serializer of ['upstream', 'ours']) {
      const line = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--serializer', serializer, '--batches', String(batches)], { encoding: 'utf8' });
      console.log(`round ${round} ${line.trim()}`);
    }
  }
} else {
  const require = createRequire(resolve(root, 'libs/otel-bootstrap/package.json'));
  const { SpanKind } = require('@opentelemetry/api') as typeof Api;
  const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof Resources;
  const { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } = require('@opentelemetry/sdk-trace') as typeof SdkTrace;
  const serialize: Serialize =
    which === 'ours'
      ? (require(resolve(root, 'libs/otel-bootstrap/dist/otlp-trace-protobuf.js')) as { serializeTraceExportRequest: Serialize }).serializeTraceExportRequest
      : (require('@opentelemetry/otlp-transformer') as { ProtobufTraceSerializer: { serializeRequest: Serialize } }).ProtobufTraceSerializer.serializeRequest;
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'api', 'service.version': '1.0.0', 'telemetry.sdk.language': 'nodejs', 'process.pid': process.pid, 'host.name': 'bench' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('@mcp/otel-bootstrap', '0.1.0');
  for (let i = 0; i < 1024; i++) {
    const span = tracer.startSpan('GET /', { kind: SpanKind.SERVER });
    span.setAttributes({
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'url.path': '/',
      'server.address': 'localhost',
      'server.port': 3000,
      'network.peer.address': '127.0.0.1',
      'network.peer.port': 40_000 + (i % 20_000),
      'client.address': '127.0.0.1',
      'user_agent.original': 'autocannon/8.0.0',
      'network.protocol.version': '1.1',
      'http.route': '/',
      'http.response.status_code': 200,
      'network.transport': 'tcp',
    });
    span.end();
  }
  await provider.forceFlush();
  const spans = exporter.getFinishedSpans();
  const microsPerSpan: number[] = [];
  let bytes = 0;
  for (let b = 0; b < batches; b++) {
    const before = process.cpuUsage();
    bytes = serialize(spans).length;
    const used = process.cpuUsage(before);
    microsPerSpan.push((used.user + used.system) / spans.length);
  }
  const warm = microsPerSpan.slice(Math.floor(batches / 2)).sort((a, b) => a - b);
  const round2 = (x: number): number => Math.round(x * 100) / 100;
  console.log(
    JSON.stringify({ serializer: which, bytesPerSpan: round2(bytes / spans.length), firstBatchesMicrosPerSpan: microsPerSpan.slice(0, 6).map(round2), warmMedian: round2(warm[Math.floor(warm.length / 2)] as number), warmMin: round2(warm[0] as number) }),
  );
}
