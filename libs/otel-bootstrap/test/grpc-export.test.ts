import { assertParentChild, renderTraceTree, type OtlpReceiver, type ReceivedSpan } from '@mcp/otlp-receiver';
import { describe, expect, it } from 'vitest';
import { spawnFixture, useFixtureCleanup, type FixtureProcess } from './support/fixture-process';
import { request } from './support/http-client';
import { first, isHttpServerSpan, spansOf, startReceiver, uniqueServiceName, useReceiverCleanup } from './support/telemetry';

useFixtureCleanup();
useReceiverCleanup();

// OTEL_EXPORTER_OTLP_PROTOCOL=grpc: the OTLP gRPC exporters load @grpc/grpc-js, the library the
// grpc instrumentation patches. The app's own gRPC calls must still be traced, and the exporters'
// own Export calls must not be.

const FIXTURE = 'grpc-export/app.cjs';
const GREETER = { 'rpc.system.name': 'grpc', 'rpc.method': 'mcp.test.Greeter/SayHello' };
const COLLECTOR_SERVICE = 'opentelemetry.proto.collector';

async function startApp(
  label: string,
  grpcLoad: 'eager' | 'lazy',
  env: Record<string, string> = {},
): Promise<{ receiver: OtlpReceiver; serviceName: string; app: FixtureProcess }> {
  const receiver = await startReceiver({ grpc: true });
  const serviceName = uniqueServiceName(label);
  const app = await spawnFixture(FIXTURE, { serviceName, env: { ...receiver.exporterEnv('grpc'), GRPC_LOAD: grpcLoad, ...env } });
  return { receiver, serviceName, app };
}

/** Every string attribute value and the name of a span: where an Export call would show. */
function mentions(span: ReceivedSpan, text: string): boolean {
  return span.name.includes(text) || Object.values(span.attributes).some((value) => typeof value === 'string' && value.includes(text));
}

/** A span that describes the exporter's own traffic to the receiver's gRPC port. */
function isExporterSpan(span: ReceivedSpan, grpcPort: number): boolean {
  const port = String(grpcPort);
  return (
    mentions(span, COLLECTOR_SERVICE) ||
    Object.values(span.attributes).some((value) => value === grpcPort || (typeof value === 'string' && (value === port || value.includes(`:${port}`))))
  );
}

/**
 * Two more request → exported-span round trips: a span the exporter made of an Export call ends
 * when that call is answered and would ride in a later batch, so after these any such span is in.
 */
async function settle(receiver: OtlpReceiver, app: FixtureProcess): Promise<void> {
  for (const marker of ['settle-1', 'settle-2']) {
    expect((await request(`${app.url}/log?marker=${marker}`)).status).toBe(200);
    await receiver.waitForSpans((span) => isHttpServerSpan('/log')(span) && span.attributes['url.query'] === `marker=${marker}`, {
      description: `the /log?marker=${marker} SERVER span`,
    });
  }
}

/** The app's call to its own Greeter: HTTP SERVER → gRPC CLIENT → gRPC SERVER, one trace. */
async function assertGreeterTrace(receiver: OtlpReceiver, serviceName: string, app: FixtureProcess, name: string): Promise<void> {
  const answer = await request(`${app.url}/greet/${name}`);
  expect(answer.status, answer.text).toBe(200);
  expect(answer.json()).toMatchObject({ message: `Hello, ${name}` });

  const http = first(await receiver.waitForSpans(isHttpServerSpan(`/greet/${name}`)));
  const rpcClient = first(await receiver.waitForSpans({ serviceName, kind: 'CLIENT', traceId: http.traceId, attributes: GREETER }));
  const rpcServer = first(await receiver.waitForSpans({ serviceName, kind: 'SERVER', traceId: http.traceId, attributes: GREETER }));
  const spans = receiver.spans();
  expect(rpcClient, renderTraceTree(spans)).toMatchObject({ name: 'grpc.mcp.test.Greeter/SayHello', attributes: { 'rpc.status_code': 'OK' } });
  expect(rpcServer, renderTraceTree(spans)).toMatchObject({ name: 'grpc.mcp.test.Greeter/SayHello', attributes: { 'rpc.status_code': 'OK' } });
  assertParentChild(spans, http, rpcClient);
  assertParentChild(spans, rpcClient, rpcServer);
  expect(answer.json<{ traceparent: string }>().traceparent).toBe(`00-${http.traceId}-${rpcClient.spanId}-01`);
}

/**
 * No span of the exporters' own Export calls (by name, rpc.method or the receiver's gRPC port);
 * every gRPC span is one of the app's Greeter calls; with `onlyGreeterClients`, no other CLIENT span.
 */
function assertExporterUntraced(receiver: OtlpReceiver, serviceName: string, { onlyGreeterClients = true } = {}): void {
  const spans = spansOf(receiver, serviceName);
  const tree = renderTraceTree(spans, { attributes: ['rpc.method', 'server.port'] });
  expect(spans.filter((span) => isExporterSpan(span, receiver.grpcPort ?? -1)).map((span) => span.name), tree).toEqual([]);
  const rpcSpans = spans.filter((span) => span.attributes['rpc.system.name'] !== undefined);
  expect(rpcSpans.length, tree).toBeGreaterThan(0);
  for (const span of rpcSpans) expect(span.attributes, tree).toMatchObject(GREETER);
  // The app makes no outgoing call but its gRPC one (dns.lookup spans are CLIENT spans too).
  if (onlyGreeterClients) expect(spans.filter((span) => span.kind === 'CLIENT' && span.attributes['rpc.method'] !== GREETER['rpc.method']).map((s) => s.name), tree).toEqual([]);
}

describe('OTEL_EXPORTER_OTLP_PROTOCOL=grpc', () => {
  it('exports traces, metrics and logs over OTLP/gRPC, none over HTTP', async () => {
    const { receiver, serviceName, app } = await startApp('grpc-export', 'eager');

    expect((await request(`${app.url}/log?marker=over-grpc`)).status).toBe(200);
    const span = first(await receiver.waitForSpans(isHttpServerSpan('/log')));
    const log = first(await receiver.waitForLogs((record) => record.serviceName === serviceName && record.body === 'grpc-export fixture log'));
    const metric = await receiver.waitForMetric('http.server.request.duration', { predicate: (point) => point.serviceName === serviceName });

    expect([span.encoding, log.encoding, metric.encoding]).toEqual(['grpc', 'grpc', 'grpc']);
    expect(span.serviceName).toBe(serviceName);
    expect(log.attributes).toMatchObject({ marker: 'over-grpc' });
    // The pino record is correlated with the request's span, as over HTTP.
    expect([log.traceId, log.spanId]).toEqual([span.traceId, span.spanId]);
    const stats = receiver.requests;
    for (const signal of ['traces', 'metrics', 'logs'] as const) {
      expect(stats[signal].grpc, signal).toBeGreaterThan(0);
      expect(stats[signal].accepted, signal).toBe(stats[signal].grpc);
      expect(stats[signal].protobuf + stats[signal].json, `${signal} over HTTP`).toBe(0);
      expect(stats[signal].invalid + stats[signal].faulted, signal).toBe(0);
    }
    expect(stats.notFound).toBe(0);
  });

  it("the app's own gRPC calls are traced (client and server spans), the exporter's Export calls are not", async () => {
    const { receiver, serviceName, app } = await startApp('grpc-export-own-calls', 'eager');

    await assertGreeterTrace(receiver, serviceName, app, 'ada');
    await settle(receiver, app);
    assertExporterUntraced(receiver, serviceName);
    expect(receiver.requests.traces.protobuf + receiver.requests.traces.json).toBe(0);
  });

  it("with the net and dns instrumentations on too, the exporter's connection to the collector is not traced either", async () => {
    const { receiver, serviceName, app } = await startApp('grpc-export-net', 'eager', { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,grpc,pino,net,dns' });

    await assertGreeterTrace(receiver, serviceName, app, 'net');
    // The net instrumentation is on: the app's own connection to its Greeter is a tcp.connect span.
    const connect = first(await receiver.waitForSpans({ serviceName, name: 'tcp.connect' }));
    expect(connect.attributes['server.port']).not.toBe(receiver.grpcPort);
    await settle(receiver, app);
    assertExporterUntraced(receiver, serviceName, { onlyGreeterClients: false });
  });

  it('the same holds when the exporter loads @grpc/grpc-js before the app does', async () => {
    const { receiver, serviceName, app } = await startApp('grpc-export-lazy', 'lazy');

    // A first export: the OTLP gRPC exporter is loaded, and with it @grpc/grpc-js...
    expect((await request(`${app.url}/log?marker=before-grpc`)).status).toBe(200);
    await receiver.waitForSpans(isHttpServerSpan('/log'));
    expect(receiver.requests.traces.grpc).toBeGreaterThan(0);
    // ...while the app has not required it yet.
    expect(app.jsonLines().filter((line) => line['event'] === 'grpc-loaded')).toEqual([]);

    await assertGreeterTrace(receiver, serviceName, app, 'lin');
    expect(app.jsonLines().filter((line) => line['event'] === 'grpc-loaded')).toHaveLength(1);
    await settle(receiver, app);
    assertExporterUntraced(receiver, serviceName);
  });
});

describe('the same receiver, OTEL_EXPORTER_OTLP_PROTOCOL=http/json', () => {
  it('exports to the HTTP endpoint as JSON while the gRPC endpoint gets nothing', async () => {
    const receiver = await startReceiver({ grpc: true });
    const serviceName = uniqueServiceName('grpc-receiver-http-json');
    const app = await spawnFixture(FIXTURE, { serviceName, env: { ...receiver.exporterEnv('http/json'), GRPC_LOAD: 'eager' } });

    expect((await request(`${app.url}/greet/json`)).status).toBe(200);
    const span = first(await receiver.waitForSpans({ serviceName, kind: 'CLIENT', attributes: GREETER }));
    expect(span.encoding).toBe('json');
    await receiver.waitForMetric('http.server.request.duration', { predicate: (point) => point.serviceName === serviceName });
    for (const signal of ['traces', 'metrics'] as const) {
      expect(receiver.requests[signal].json, signal).toBeGreaterThan(0);
      expect(receiver.requests[signal].grpc + receiver.requests[signal].protobuf, signal).toBe(0);
    }
  });
});
