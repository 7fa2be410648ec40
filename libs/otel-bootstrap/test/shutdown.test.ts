import { renderTraceTree } from '@mcp/otlp-receiver';
import { freePort } from '@mcp/test-kit';
import { describe, expect, it } from 'vitest';
import { spawnFixture, useFixtureCleanup } from './support/fixture-process';
import { eventually, mapLimit, request, type HttpAnswer } from './support/http-client';
import { spansOf, startReceiver, traceparent, uniqueServiceName, useReceiverCleanup } from './support/telemetry';

useFixtureCleanup();
useReceiverCleanup();

// Nothing leaves the process on a timer: whatever arrives was sent by the shutdown flush.
const EXPORT_ONLY_AT_SHUTDOWN = {
  OTEL_BSP_SCHEDULE_DELAY: '60000',
  OTEL_BLRP_SCHEDULE_DELAY: '60000',
  OTEL_METRIC_EXPORT_INTERVAL: '60000',
};

describe('SIGTERM flushes telemetry', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s: every span, metric and log of every completed request arrives, and the process exits 0', async (signal) => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('sigterm-flush');
    const app = await spawnFixture('express-app.cjs', { endpoint: receiver.url, serviceName, env: EXPORT_ONLY_AT_SHUTDOWN });
    const parents = Array.from({ length: 30 }, () => traceparent(true));

    await mapLimit(parents, 6, async (parent, i) => {
      const path = i % 3 === 0 ? `/work/${i}` : i % 3 === 1 ? '/echo' : `/log?marker=flush-${i}`;
      const answer = await request(`${app.url}${path}`, {
        headers: { traceparent: parent.header },
        ...(path === '/echo' && { json: { i } }),
      });
      expect(answer.status, path).toBeLessThan(300);
    });
    expect(receiver.requests.total, 'nothing exported before the signal').toBe(0);

    app.kill(signal);
    expect(await app.waitForExit(20_000), app.describe()).toEqual({ code: 0, signal: null });

    const spans = spansOf(receiver, serviceName);
    for (const [i, parent] of parents.entries()) {
      const trace = spans.filter((span) => span.traceId === parent.traceId);
      const names = trace.map((span) => (span.kind === 'SERVER' ? 'server' : span.name)).sort();
      expect(names, `trace ${parent.traceId}\n${renderTraceTree(spans)}`).toEqual(i % 3 === 0 ? ['do work', 'server'] : ['server']);
    }
    const logs = receiver.logs().filter((log) => log.serviceName === serviceName);
    expect(logs).toHaveLength(10);
    expect(logs.every((log) => parents.some((parent) => parent.traceId === log.traceId))).toBe(true);
    const durations = receiver.metrics().filter((p) => p.serviceName === serviceName && p.name === 'http.server.request.duration');
    expect(durations.reduce((sum, p) => sum + (p.histogram?.count ?? 0), 0)).toBe(parents.length);
  });
});

describe('ordered shutdown: app hooks drain, then telemetry flushes', () => {
  it('in-flight requests complete with 200, /ready says 503 while draining, their spans arrive, exit 0', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('drain');
    const app = await spawnFixture('shutdown-app.cjs', {
      endpoint: receiver.url,
      serviceName,
      env: { ...EXPORT_ONLY_AT_SHUTDOWN, SLOW_MS: '1500', PROBE_GRACE_MS: '5000' },
    });
    expect((await request(`${app.url}/ready`)).status).toBe(200);

    const ids = ['a', 'b', 'c'];
    const inFlight = ids.map((id) => request(`${app.url}/slow/${id}`, { timeoutMs: 20_000 }));
    for (const id of ids) await app.waitForJsonLine((line) => line['event'] === 'slow-started' && line['id'] === id);

    app.kill('SIGTERM');
    // The signal is handled asynchronously: poll until the readiness probe turns.
    const notReady = await eventually(async () => {
      const answer = await request(`${app.url}/ready`, { timeoutMs: 2_000 });
      return answer.status === 503 ? answer : undefined;
    }, '/ready to answer 503');
    expect(notReady.json()).toEqual({ ready: false });

    const answers: HttpAnswer[] = await Promise.all(inFlight);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    expect(answers.map((answer) => answer.json())).toEqual(ids.map((id) => ({ id, drained: true })));
    expect(await app.waitForExit(20_000), app.describe()).toEqual({ code: 0, signal: null });

    // Hooks ran in order, and the server closed only after the slow requests finished.
    const events = app.jsonLines().map((line) => line['event']).filter((event) => event !== undefined);
    expect(events.indexOf('shutdown-started')).toBeLessThan(events.indexOf('server-closed'));
    expect(events.lastIndexOf('slow-finished')).toBeLessThan(events.indexOf('server-closed'));
    expect(app.jsonLines().find((line) => line['event'] === 'shutdown-started')).toMatchObject({ reason: 'SIGTERM' });

    const spans = spansOf(receiver, serviceName);
    for (const id of ids) {
      const server = spans.find((span) => span.kind === 'SERVER' && span.attributes['url.path'] === `/slow/${id}`);
      expect(server, renderTraceTree(spans)).toMatchObject({ attributes: { 'http.response.status_code': 200 } });
    }
    // Probes are never traced, draining or not.
    expect(spans.filter((span) => span.attributes['url.path'] === '/ready')).toEqual([]);
  });

  it('a hook that outlives APP_SHUTDOWN_TIMEOUT_MS is abandoned: telemetry is still flushed and the exit code is 1', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('hook-deadline');
    const app = await spawnFixture('shutdown-app.cjs', {
      endpoint: receiver.url,
      serviceName,
      // The readiness hook waits for a probe that never comes, for longer than the app deadline.
      env: { ...EXPORT_ONLY_AT_SHUTDOWN, PROBE_GRACE_MS: '30000', APP_SHUTDOWN_TIMEOUT_MS: '500' },
    });
    expect((await request(`${app.url}/fast`)).status).toBe(200);

    app.kill('SIGTERM');
    expect(await app.waitForExit(20_000), app.describe()).toEqual({ code: 1, signal: null });
    expect(app.stderr()).toMatch(/shutdown hook "readiness" did not finish within \d+ ms/);
    expect(app.stderr()).toMatch(/shutdown hook "http" skipped: APP_SHUTDOWN_TIMEOUT_MS \(500 ms\) spent/);
    expect(spansOf(receiver, serviceName).filter((span) => span.attributes['url.path'] === '/fast')).toHaveLength(1);
  });

  it('a second SIGTERM during shutdown exits at once with code 1', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('second-signal');
    const app = await spawnFixture('shutdown-app.cjs', { endpoint: receiver.url, serviceName, env: { PROBE_GRACE_MS: '30000' } });

    app.kill('SIGTERM');
    await app.waitForJsonLine((line) => line['event'] === 'shutdown-started');
    app.kill('SIGTERM');
    expect(await app.waitForExit(10_000), app.describe()).toEqual({ code: 1, signal: null });
    expect(app.stderr()).toMatch(/SIGTERM received again during shutdown; exiting now/);
  });
});

describe('shutdown without the bootstrap owning it', () => {
  it('OTEL_SDK_DISABLED=true: the onShutdown hooks still drain in-flight requests on SIGTERM, exit 0', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('disabled-drain');
    const app = await spawnFixture('shutdown-app.cjs', {
      endpoint: receiver.url,
      serviceName,
      env: { OTEL_SDK_DISABLED: 'true', SLOW_MS: '800', PROBE_GRACE_MS: '200' },
    });
    const inFlight = request(`${app.url}/slow/x`);
    await app.waitForJsonLine((line) => line['event'] === 'slow-started');

    app.kill('SIGTERM');
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ id: 'x', drained: true });
    expect(await app.waitForExit(15_000), app.describe()).toEqual({ code: 0, signal: null });
    expect(receiver.requests.total).toBe(0);
  });

  it('an app with its own SIGTERM handler and no hooks owns its exit; shutdownTelemetry() still delivers its spans', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('own-handler');
    const app = await spawnFixture('own-signal-app.cjs', { endpoint: receiver.url, serviceName, env: EXPORT_ONLY_AT_SHUTDOWN });
    for (const path of ['/a', '/b', '/c']) expect((await request(`${app.url}${path}`)).status).toBe(200);

    app.kill('SIGTERM');
    expect(await app.waitForExit(15_000), app.describe()).toEqual({ code: 0, signal: null });
    expect(app.jsonLines().some((line) => line['event'] === 'own-handler')).toBe(true);
    const paths = spansOf(receiver, serviceName).map((span) => span.attributes['url.path']);
    expect(paths.sort()).toEqual(['/a', '/b', '/c']);
  });
});

describe('bounded shutdown: an unreachable backend never keeps the process alive', () => {
  it.each([
    { label: 'the receiver never answers (hang)', mode: 'hang' as const },
    { label: 'nothing listens on the endpoint', mode: 'dead-port' as const },
  ])('$label → the process still exits 0 within OTEL_NODE_SHUTDOWN_TIMEOUT_MS', async ({ mode }) => {
    const receiver = await startReceiver();
    if (mode === 'hang') receiver.hang();
    const endpoint = mode === 'hang' ? receiver.url : `http://127.0.0.1:${await freePort()}`;
    const serviceName = uniqueServiceName(`bounded-${mode}`);
    const app = await spawnFixture('express-app.cjs', {
      endpoint,
      serviceName,
      env: {
        ...EXPORT_ONLY_AT_SHUTDOWN,
        // The exporter alone would wait 30 s; the shutdown deadline is what must win.
        OTEL_EXPORTER_OTLP_TIMEOUT: '30000',
        OTEL_NODE_SHUTDOWN_TIMEOUT_MS: '1000',
      },
    });
    for (let i = 0; i < 5; i++) expect((await request(`${app.url}/users/${i}`)).status).toBe(200);

    app.kill('SIGTERM');
    expect(await app.waitForExit(20_000), app.describe()).toEqual({ code: 0, signal: null });
    if (mode === 'hang') {
      expect(receiver.requests.traces.faulted, 'the flush was attempted').toBeGreaterThan(0);
      expect(app.stderr()).toMatch(/telemetry shutdown did not finish within 1000 ms/);
    }
    expect(receiver.spans()).toEqual([]);
  });
});
