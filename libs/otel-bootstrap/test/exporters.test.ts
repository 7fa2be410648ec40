import { describe, expect, it } from 'vitest';
import { spawnFixture, stopAndFlush, useFixtureCleanup } from './support/fixture-process';
import { eventually, request } from './support/http-client';
import { first, isHttpServerSpan, spansOf, startReceiver, traceparent, uniqueServiceName, useReceiverCleanup } from './support/telemetry';

useFixtureCleanup();
useReceiverCleanup();

describe('OTLP protocol (OTEL_EXPORTER_OTLP_PROTOCOL)', () => {
  it.each([
    { protocol: undefined, encoding: 'protobuf', other: 'json' },
    { protocol: 'http/protobuf', encoding: 'protobuf', other: 'json' },
    { protocol: 'http/json', encoding: 'json', other: 'protobuf' },
  ] as const)('$protocol → traces, metrics and logs arrive as $encoding', async ({ protocol, encoding, other }) => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName(`protocol-${encoding}`);
    const app = await spawnFixture('express-app.cjs', {
      endpoint: receiver.url,
      serviceName,
      env: { OTEL_EXPORTER_OTLP_PROTOCOL: protocol },
    });

    await request(`${app.url}/log?marker=protocol`);
    const span = first(await receiver.waitForSpans(isHttpServerSpan('/log')));
    const log = first(await receiver.waitForLogs((record) => record.serviceName === serviceName));
    const metric = await receiver.waitForMetric('http.server.request.duration', { predicate: (p) => p.serviceName === serviceName });

    expect([span.encoding, log.encoding, metric.encoding]).toEqual([encoding, encoding, encoding]);
    const stats = receiver.requests;
    for (const signal of ['traces', 'metrics', 'logs'] as const) {
      expect(stats[signal][encoding], signal).toBeGreaterThan(0);
      expect(stats[signal][other], signal).toBe(0);
      expect(stats[signal].invalid, signal).toBe(0);
    }
  });
});

describe('our OTLP/protobuf span serialiser, end to end', () => {
  /** The fixture's rich span and its SERVER parent, exported with `protocol` (gzipped when asked) to a real receiver. */
  async function richSpanVia(protocol: 'http/protobuf' | 'http/json', compression: 'gzip' | 'none') {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName(`rich-${protocol.replace('/', '-')}`);
    const app = await spawnFixture('rich-span-app.cjs', {
      endpoint: receiver.url,
      serviceName,
      env: { OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_EXPORTER_OTLP_COMPRESSION: compression },
    });
    const parent = traceparent(true);
    await request(`${app.url}/rich`, { headers: { traceparent: parent.header } });
    const span = first(await receiver.waitForSpans((s) => s.serviceName === serviceName && s.name === 'rich span ✓'));
    const server = first(await receiver.waitForSpans((s) => s.serviceName === serviceName && s.kind === 'SERVER'));
    expect(receiver.requests.traces.invalid).toBe(0);
    return { span, server, parent, receiver };
  }

  it('every kind of span content arrives decoded as the app recorded it, and as upstream JSON exporter sends it', async () => {
    const ours = await richSpanVia('http/protobuf', 'gzip');
    expect(ours.span.encoding).toBe('protobuf');
    expect(ours.receiver.requests.traces.gzip).toBeGreaterThan(0);
    expect(ours.span.attributes).toEqual({
      'str.ascii': 'plain',
      'str.unicode': 'héllo wörld, 日本語, 😀',
      'str.empty': '',
      'int.small': 42,
      'int.negative': -7,
      'int.large': 2 ** 40 + 3,
      'double.value': 2.5,
      bool: true,
      'array.strings': ['a', 'β', '😀'],
      'array.numbers': [1, 2, 3],
      kvlist: { name: 'nested', depth: { level: 2, tags: ['x', 'y'] } },
      bytes: Uint8Array.from([0, 1, 254, 255]),
    });
    expect(ours.span.events).toEqual([{ name: 'checkpoint', timeUnixNano: expect.any(BigInt), attributes: { 'event.count': 3, 'event.note': 'ünïcode' } }]);
    expect(ours.span.links).toEqual([{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceState: 'vendor=abc', attributes: { 'link.reason': 'follows from' } }]);
    expect(ours.span.status).toEqual({ code: 'ERROR', message: 'failed: ✗' });
    expect(ours.span.scope).toEqual({ name: 'rich-fixture', version: '1.2.3' });
    expect(ours.span.parentSpanId).toBe(ours.server.spanId);
    // The SERVER span continues the caller's trace: a remote parent (flags: sampled, has-is-remote, is-remote).
    expect(ours.server).toMatchObject({ traceId: ours.parent.traceId, parentSpanId: ours.parent.parentSpanId, flags: 0x301 });
    expect(ours.span.flags).toBe(0x101);
    expect(ours.span.startTimeUnixNano).toBeGreaterThan(BigInt(Date.now() - 60_000) * 1_000_000n);
    expect(ours.span.endTimeUnixNano).toBeGreaterThanOrEqual(ours.span.startTimeUnixNano);

    // The same span through upstream's JSON serialiser decodes to the same content.
    const upstream = await richSpanVia('http/json', 'none');
    expect(upstream.span.encoding).toBe('json');
    const content = ({ name, kind, attributes, events, links, status, scope, flags }: typeof ours.span) => ({
      name,
      kind,
      attributes,
      events: events.map((event) => ({ ...event, timeUnixNano: 0n })),
      links,
      status,
      scope,
      flags,
    });
    expect(content(ours.span)).toEqual(content(upstream.span));
    // The resource too, but for what differs between the two processes.
    const perProcess = { 'service.name': '', 'service.instance.id': '', 'process.pid': 0 };
    expect({ ...ours.span.resource, ...perProcess }).toEqual({ ...upstream.span.resource, ...perProcess });
    expect(Object.keys(ours.span.resource).length).toBeGreaterThan(10);
  });
});

describe('exporter transport settings (read by the OTLP exporters from the environment)', () => {
  it('OTEL_EXPORTER_OTLP_COMPRESSION=gzip → requests arrive gzipped and decode', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('gzip');
    const app = await spawnFixture('express-app.cjs', { endpoint: receiver.url, serviceName, env: { OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' } });

    await request(`${app.url}/users/1`);
    await receiver.waitForSpans(isHttpServerSpan('/users/1'));
    expect(receiver.requests.traces.gzip).toBeGreaterThan(0);
    expect(receiver.requests.traces.invalid).toBe(0);
  });

  it('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT wins over OTEL_EXPORTER_OTLP_ENDPOINT for traces only', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('traces-endpoint');
    const app = await spawnFixture('express-app.cjs', {
      // Port 9 (discard) on loopback: nothing listens there.
      endpoint: 'http://127.0.0.1:9',
      serviceName,
      env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.endpoints.traces },
    });

    await request(`${app.url}/users/1`);
    await receiver.waitForSpans(isHttpServerSpan('/users/1'));
    expect(receiver.requests.metrics.accepted + receiver.requests.logs.accepted).toBe(0);
  });

  it('a 503 from the backend is retried: the spans still arrive', async () => {
    const receiver = await startReceiver();
    receiver.respondWith(503, { times: 1, signals: ['traces'] });
    const serviceName = uniqueServiceName('retry-503');
    const app = await spawnFixture('express-app.cjs', { endpoint: receiver.url, serviceName });

    await request(`${app.url}/users/1`);
    await receiver.waitForSpans(isHttpServerSpan('/users/1'));
    expect(receiver.requests.traces.faulted).toBe(1);
  });

  it('a backend that never answers never holds up a request', async () => {
    const receiver = await startReceiver();
    receiver.hang();
    const serviceName = uniqueServiceName('hung-backend');
    const app = await spawnFixture('express-app.cjs', { endpoint: receiver.url, serviceName });

    for (let i = 0; i < 5; i++) expect((await request(`${app.url}/users/${i}`)).status).toBe(200);
    // An export is now stuck on the receiver; requests go on regardless.
    await eventually(async () => (receiver.requests.traces.faulted > 0 ? true : undefined), 'a trace export to hang', 10_000);
    for (let i = 5; i < 30; i++) expect((await request(`${app.url}/users/${i}`)).status).toBe(200);
    expect(receiver.spans()).toEqual([]);
  });
});

describe('signals switched off', () => {
  it('OTEL_TRACES_EXPORTER=none: no span is exported, metrics and logs still flow', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('traces-none');
    const app = await spawnFixture('express-app.cjs', { endpoint: receiver.url, serviceName, env: { OTEL_TRACES_EXPORTER: 'none' } });

    expect((await request(`${app.url}/users/1`)).status).toBe(200);
    expect((await request(`${app.url}/log?marker=none`)).status).toBe(200);
    await receiver.waitForMetric('http.server.request.duration', { predicate: (p) => p.serviceName === serviceName });
    const log = first(await receiver.waitForLogs((record) => record.serviceName === serviceName));
    await stopAndFlush(app);

    expect(spansOf(receiver, serviceName)).toEqual([]);
    expect(receiver.requests.traces.protobuf + receiver.requests.traces.json).toBe(0);
    // No tracer provider, so no trace context for pino to attach either.
    expect(log.traceId).toBeUndefined();
  });

  it('OTEL_SDK_DISABLED=true: the app serves, handles SIGTERM, and nothing at all is exported', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('disabled');
    const app = await spawnFixture('express-app.cjs', { endpoint: receiver.url, serviceName, env: { OTEL_SDK_DISABLED: 'true' } });

    expect((await request(`${app.url}/users/1`)).status).toBe(200);
    expect((await request(`${app.url}/log?marker=disabled`)).status).toBe(200);
    const line = await app.waitForJsonLine((l) => l['marker'] === 'disabled');
    // Longer than one metric interval (500 ms) and one batch delay (200 ms) before stopping.
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    await stopAndFlush(app);

    expect(receiver.requests.total).toBe(0);
    expect(line).not.toHaveProperty('trace_id');
  });
});

describe('a bad telemetry setting warns and falls back, never stops the service', () => {
  it.each([
    { name: 'OTEL_TRACES_SAMPLER', value: 'bogus', warning: /OTEL_TRACES_SAMPLER="bogus" is not one of .*; using parentbased_always_on/ },
    { name: 'OTEL_BSP_SCHEDULE_DELAY', value: 'abc', warning: /OTEL_BSP_SCHEDULE_DELAY="abc" is not a positive integer/ },
    { name: 'OTEL_EXPORTER_OTLP_PROTOCOL', value: 'carrier-pigeon', warning: /OTEL_EXPORTER_OTLP_PROTOCOL="carrier-pigeon" is not one of .*; using http\/protobuf/ },
    { name: 'OTEL_TRACES_SAMPLER_ARG', value: '1.7', extra: { OTEL_TRACES_SAMPLER: 'traceidratio' }, warning: /OTEL_TRACES_SAMPLER_ARG="1.7" is not a number in \[0, 1\]; using 1.0/ },
    { name: 'OTEL_RESOURCE_ATTRIBUTES', value: 'broken,service.namespace=mcp-system', warning: /OTEL_RESOURCE_ATTRIBUTES: "broken" is not key=value/ },
  ])('$name=$value', async ({ name, value, warning, extra }) => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName(`bad-${name.toLowerCase()}`);
    const app = await spawnFixture('express-app.cjs', { endpoint: receiver.url, serviceName, env: { ...extra, [name]: value } });

    expect((await request(`${app.url}/users/1`)).status).toBe(200);
    expect(app.stderr()).toMatch(warning);
    // Exporting still works (within the spec default 5 s batch delay when that is what fell back).
    const span = first(await receiver.waitForSpans(isHttpServerSpan('/users/1'), { timeoutMs: 20_000 }));
    expect(span.serviceName).toBe(serviceName);
  });
});
