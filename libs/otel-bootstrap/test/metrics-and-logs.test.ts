import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { logsForTrace } from '@mcp/otlp-receiver';
import { describe, expect, it } from 'vitest';
import { spawnFixture, useFixtureCleanup } from './support/fixture-process';
import { eventually, request } from './support/http-client';
import { first, isHttpServerSpan, SEED_BUCKETS_SECONDS, spansOf, startReceiver, traceparent, uniqueServiceName, useReceiverCleanup } from './support/telemetry';

useFixtureCleanup();
useReceiverCleanup();

describe('metrics', () => {
  it('http.server.request.duration: a histogram in seconds with the seed buckets and the stable attributes', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('metrics-http');
    const app = await spawnFixture('express-app.cjs', { endpoint: receiver.url, serviceName });

    // Probes are not traced, so they are not measured either.
    for (let i = 0; i < 2; i++) expect((await request(`${app.url}/health`)).status).toBe(200);
    for (const id of [1, 2, 3]) expect((await request(`${app.url}/users/${id}`)).status).toBe(200);

    const point = await receiver.waitForMetric('http.server.request.duration', {
      attributes: { 'http.route': '/users/:id' },
      predicate: (p) => p.serviceName === serviceName && (p.histogram?.count ?? 0) >= 3,
    });
    expect(point).toMatchObject({
      type: 'histogram',
      unit: 's',
      attributes: { 'http.request.method': 'GET', 'http.response.status_code': 200, 'http.route': '/users/:id', 'url.scheme': 'http' },
    });
    expect(point.histogram?.explicitBounds).toEqual(SEED_BUCKETS_SECONDS);
    expect(point.histogram?.bucketCounts).toHaveLength(SEED_BUCKETS_SECONDS.length + 1);
    // Seconds, not milliseconds: three local requests cannot add up to 10 s.
    expect(point.histogram?.sum).toBeGreaterThan(0);
    expect(point.histogram?.sum).toBeLessThan(10);
    const sameExport = receiver
      .metrics()
      .filter((p) => p.serviceName === serviceName && p.name === 'http.server.request.duration' && p.timeUnixNano === point.timeUnixNano);
    expect(sameExport.reduce((sum, p) => sum + (p.histogram?.count ?? 0), 0)).toBe(3);
  });

  it.each([
    { preference: undefined, temporality: 'CUMULATIVE' },
    { preference: 'cumulative', temporality: 'CUMULATIVE' },
    { preference: 'delta', temporality: 'DELTA' },
    { preference: 'lowmemory', temporality: 'DELTA' },
  ] as const)('OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=$preference → the duration histogram is $temporality', async ({ preference, temporality }) => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName(`temporality-${preference ?? 'default'}`);
    const app = await spawnFixture('express-app.cjs', {
      endpoint: receiver.url,
      serviceName,
      env: { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: preference },
    });

    await request(`${app.url}/users/1`);
    const point = await receiver.waitForMetric('http.server.request.duration', { predicate: (p) => p.serviceName === serviceName });
    expect(point.temporality).toBe(temporality);
  });

  it('runtime metrics (nodejs.* / v8js.*) are exported without any request', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('metrics-runtime');
    await spawnFixture('express-app.cjs', { endpoint: receiver.url, serviceName });

    const names = await eventually(async () => {
      const runtime = new Set(
        receiver
          .metrics()
          .filter((point) => point.serviceName === serviceName && /^(nodejs|v8js)\./.test(point.name))
          .map((point) => point.name),
      );
      return runtime.size > 0 ? [...runtime] : undefined;
    }, 'a nodejs.* or v8js.* metric', 15_000);
    expect(names.length).toBeGreaterThan(0);
    const heap = receiver.metrics().find((point) => point.serviceName === serviceName && point.name.startsWith('v8js.memory.heap'));
    if (heap) expect(heap.unit).toBe('By');
  });

  it('process CPU and memory (process.cpu.time by cpu.mode, process.memory.usage) and the distro on the resource', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('metrics-process');
    await spawnFixture('express-app.cjs', { endpoint: receiver.url, serviceName });

    const ofService = (p: { serviceName: string }) => p.serviceName === serviceName;
    const user = await receiver.waitForMetric('process.cpu.time', { attributes: { 'cpu.mode': 'user' }, predicate: ofService, timeoutMs: 15_000 });
    const system = await receiver.waitForMetric('process.cpu.time', { attributes: { 'cpu.mode': 'system' }, predicate: ofService });
    const memory = await receiver.waitForMetric('process.memory.usage', { predicate: ofService });
    expect(user).toMatchObject({ unit: 's', type: 'sum', isMonotonic: true });
    // A started Node process has used CPU and holds some megabytes.
    expect((user.value ?? 0) + (system.value ?? 0)).toBeGreaterThan(0);
    expect(memory).toMatchObject({ unit: 'By', type: 'sum', isMonotonic: false });
    expect(memory.value ?? 0).toBeGreaterThan(1024 * 1024);
    // The distro's version is the package's (kept by hand in src/distro.ts).
    const { version } = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
    expect(memory.resource).toMatchObject({ 'telemetry.distro.name': 'mcp-otel-bootstrap', 'telemetry.distro.version': version });
  });
});

describe('logs (pino)', () => {
  it('a pino line inside a request carries trace_id and span_id on stdout and in the exported OTLP log record', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('logs');
    const app = await spawnFixture('express-app.cjs', { endpoint: receiver.url, serviceName });
    const marker = `marker-${Date.now()}`;

    expect((await request(`${app.url}/log?marker=${marker}`)).status).toBe(200);

    const server = first(await receiver.waitForSpans(isHttpServerSpan('/log')));
    const record = first(await receiver.waitForLogs((log) => log.serviceName === serviceName && log.body === 'handling the log route'));
    const line = await app.waitForJsonLine((l) => l['marker'] === marker);

    const traceSpanIds = spansOf(receiver, serviceName)
      .filter((span) => span.traceId === server.traceId)
      .map((span) => span.spanId);
    expect(record).toMatchObject({ traceId: server.traceId, severityNumber: 9, attributes: { marker, route: 'log' } });
    expect(traceSpanIds).toContain(record.spanId);
    expect(line).toMatchObject({ trace_id: server.traceId, span_id: record.spanId, trace_flags: '01', msg: 'handling the log route' });
    expect(logsForTrace(receiver.logs(), server.traceId)).toHaveLength(1);
  });
  it("an unsampled request's pino line still carries its trace id (flags 00) on stdout and in the OTLP log record", async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('logs-unsampled');
    const app = await spawnFixture('express-app.cjs', { endpoint: receiver.url, serviceName });
    const marker = `marker-${Date.now()}`;
    const caller = traceparent(false);

    expect((await request(`${app.url}/log?marker=${marker}`, { headers: { traceparent: caller.header } })).status).toBe(200);

    const line = await app.waitForJsonLine((l) => l['marker'] === marker);
    const record = first(await receiver.waitForLogs((log) => log.serviceName === serviceName && log.body === 'handling the log route'));
    expect(line).toMatchObject({ trace_id: caller.traceId, trace_flags: '00', msg: 'handling the log route' });
    expect(line['span_id']).toMatch(/^(?!0+$)[0-9a-f]{16}$/);
    expect(line['span_id']).not.toBe(caller.parentSpanId);
    expect(record).toMatchObject({ traceId: caller.traceId, spanId: line['span_id'] });
  });
});
