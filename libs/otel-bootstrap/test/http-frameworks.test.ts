import { renderTraceTree } from '@mcp/otlp-receiver';
import { describe, expect, it } from 'vitest';
import { spawnFixture, useFixtureCleanup } from './support/fixture-process';
import { request } from './support/http-client';
import { first, isHttpServerSpan, spansOf, startReceiver, uniqueServiceName, useReceiverCleanup } from './support/telemetry';

useFixtureCleanup();
useReceiverCleanup();

describe('Express 5 under --require', () => {
  it('exports one SERVER span per request with the stable HTTP attributes and the route template', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('express');
    const app = await spawnFixture('express-app.cjs', { endpoint: receiver.url, serviceName });

    expect((await request(`${app.url}/users/42`)).status).toBe(200);
    expect((await request(`${app.url}/users/7/orders/99?expand=items`)).status).toBe(200);

    const user = first(await receiver.waitForSpans(isHttpServerSpan('/users/42')));
    const order = first(await receiver.waitForSpans(isHttpServerSpan('/users/7/orders/99')));
    expect(user).toMatchObject({
      kind: 'SERVER',
      name: 'GET /users/:id',
      serviceName,
      status: { code: 'UNSET' },
      attributes: {
        'http.request.method': 'GET',
        'http.route': '/users/:id',
        'http.response.status_code': 200,
        'url.path': '/users/42',
        'url.scheme': 'http',
      },
    });
    expect(user.parentSpanId).toBeUndefined();
    expect(order.attributes).toMatchObject({ 'http.route': '/users/:id/orders/:orderId', 'url.query': 'expand=items' });
    expect(typeof user.attributes['http.response.body.size']).toBe('number');
  });

  it('records http.request.body.size on a JSON POST', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('express-post');
    const app = await spawnFixture('express-app.cjs', { endpoint: receiver.url, serviceName });
    const payload = { model_type: 'stub-small', prompt: 'x'.repeat(100) };

    const answer = await request(`${app.url}/echo`, { json: payload });
    expect(answer.status).toBe(201);

    const span = first(await receiver.waitForSpans(isHttpServerSpan('/echo')));
    expect(span.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/echo',
      'http.response.status_code': 201,
      'http.request.body.size': Buffer.byteLength(JSON.stringify(payload)),
      'http.response.body.size': Buffer.byteLength(answer.text),
    });
  });

  it('makes no span for any Express layer (middleware, router, request handler): the SERVER span alone carries the route', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('express-layers');
    const app = await spawnFixture('express-app.cjs', { endpoint: receiver.url, serviceName });

    await request(`${app.url}/echo`, { json: { a: 1 } });
    // A later request whose span arrives after the first trace's: by then that trace is complete.
    await request(`${app.url}/work/1`);
    const server = first(await receiver.waitForSpans(isHttpServerSpan('/echo')));
    await receiver.waitForSpans({ serviceName, name: 'do work' });

    const trace = spansOf(receiver, serviceName).filter((span) => span.traceId === server.traceId);
    expect(trace.map((span) => span.name), renderTraceTree(trace)).toEqual(['POST /echo']);
    expect(server.attributes['express.type']).toBeUndefined();
  });

  it('marks a route that throws as ERROR with status code 500', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('express-error');
    const app = await spawnFixture('express-app.cjs', { endpoint: receiver.url, serviceName });

    expect((await request(`${app.url}/boom`)).status).toBe(500);

    const span = first(await receiver.waitForSpans(isHttpServerSpan('/boom')));
    expect(span).toMatchObject({
      status: { code: 'ERROR' },
      attributes: { 'http.response.status_code': 500, 'http.route': '/boom', 'error.type': '500' },
    });
  });

  it('makes no span for the probe and scrape paths (/health, /ready, /live, /metrics) while other requests still trace', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('express-health');
    const app = await spawnFixture('express-app.cjs', { endpoint: receiver.url, serviceName });
    const ignored = ['/health', '/ready', '/live', '/metrics'];

    expect((await request(`${app.url}/health`)).status).toBe(200);
    expect((await request(`${app.url}/health?verbose=1`)).status).toBe(200);
    // The other three are not routes of this app (404): ignored all the same.
    for (const path of ignored.slice(1)) expect((await request(`${app.url}${path}`)).status).toBe(404);
    // A request after the probes: once its span is in, the probes' would be too (same batch or earlier).
    await request(`${app.url}/users/1`);
    await receiver.waitForSpans(isHttpServerSpan('/users/1'));

    const spans = spansOf(receiver, serviceName);
    const probes = spans.filter((span) => ignored.includes(String(span.attributes['url.path'] ?? span.attributes['http.route'])));
    expect(probes, renderTraceTree(spans)).toEqual([]);
  });
});

describe('Express 5 under --import', () => {
  it('is instrumented the same way (route on the SERVER span) when the preload is given with --import', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('express-import');
    const app = await spawnFixture('express-app.cjs', { endpoint: receiver.url, serviceName, preload: 'import' });

    expect((await request(`${app.url}/users/5`)).status).toBe(200);

    const server = first(await receiver.waitForSpans(isHttpServerSpan('/users/5')));
    expect(server).toMatchObject({ kind: 'SERVER', name: 'GET /users/:id', attributes: { 'http.route': '/users/:id', 'http.request.method': 'GET' } });
  });
});

describe('Fastify 5', () => {
  it('names the SERVER span after the route (also in a prefixed plugin), makes no span of its own; /health makes none', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('fastify');
    const app = await spawnFixture('fastify-app.cjs', { endpoint: receiver.url, serviceName });

    expect((await request(`${app.url}/health`)).status).toBe(200);
    expect((await request(`${app.url}/items/abc`)).status).toBe(200);
    expect((await request(`${app.url}/v2/things/t1`)).status).toBe(200);

    const server = first(await receiver.waitForSpans(isHttpServerSpan('/items/abc')));
    expect(server).toMatchObject({
      kind: 'SERVER',
      name: 'GET /items/:id',
      attributes: { 'http.request.method': 'GET', 'http.route': '/items/:id', 'http.response.status_code': 200 },
    });
    const scoped = first(await receiver.waitForSpans(isHttpServerSpan('/v2/things/t1')));
    expect(scoped).toMatchObject({ name: 'GET /v2/things/:thing', attributes: { 'http.route': '/v2/things/:thing' } });
    const spans = spansOf(receiver, serviceName);
    expect(spans.filter((span) => span.traceId === server.traceId).map((span) => span.name), renderTraceTree(spans)).toEqual(['GET /items/:id']);
    expect(spans.filter((span) => span.attributes['url.path'] === '/health'), renderTraceTree(spans)).toEqual([]);
  });

  it('a handler that throws: the SERVER span is an ERROR with the route, status 500 and the exception', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('fastify-error');
    const app = await spawnFixture('fastify-app.cjs', { endpoint: receiver.url, serviceName });

    expect((await request(`${app.url}/boom`)).status).toBe(500);

    const server = first(await receiver.waitForSpans(isHttpServerSpan('/boom')));
    expect(server).toMatchObject({ status: { code: 'ERROR' }, attributes: { 'http.route': '/boom', 'http.response.status_code': 500, 'error.type': '500' } });
    expect(server.events.map((event) => [event.name, event.attributes['exception.message']])).toEqual([['exception', 'boom: the handler failed']]);
  });
});

describe('Koa 3 with @koa/router', () => {
  it('names the SERVER span after the route, makes no router or middleware span; /health makes none', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('koa');
    const app = await spawnFixture('koa-app.cjs', { endpoint: receiver.url, serviceName });

    expect((await request(`${app.url}/health`)).status).toBe(200);
    expect((await request(`${app.url}/orders/17`)).status).toBe(200);

    const server = first(await receiver.waitForSpans(isHttpServerSpan('/orders/17')));
    expect(server).toMatchObject({
      kind: 'SERVER',
      name: 'GET /orders/:id',
      attributes: { 'http.request.method': 'GET', 'http.route': '/orders/:id', 'http.response.status_code': 200 },
    });
    const spans = spansOf(receiver, serviceName);
    expect(spans.filter((span) => span.traceId === server.traceId).map((span) => span.name), renderTraceTree(spans)).toEqual(['GET /orders/:id']);
    expect(spans.filter((span) => span.attributes['url.path'] === '/health'), renderTraceTree(spans)).toEqual([]);
  });

  it('a route that throws is an ERROR with the exception; a 404 the app throws is not an error and records none', async () => {
    const receiver = await startReceiver();
    const serviceName = uniqueServiceName('koa-error');
    const app = await spawnFixture('koa-app.cjs', { endpoint: receiver.url, serviceName });

    expect((await request(`${app.url}/boom`)).status).toBe(500);
    expect((await request(`${app.url}/missing`)).status).toBe(404);

    const boom = first(await receiver.waitForSpans(isHttpServerSpan('/boom')));
    expect(boom).toMatchObject({ status: { code: 'ERROR' }, attributes: { 'http.route': '/boom', 'http.response.status_code': 500 } });
    expect(boom.events.map((event) => event.attributes['exception.message'])).toEqual(['boom: the route failed']);
    const missing = first(await receiver.waitForSpans(isHttpServerSpan('/missing')));
    expect(missing).toMatchObject({ status: { code: 'UNSET' }, attributes: { 'http.route': '/missing', 'http.response.status_code': 404 } });
    expect(missing.events).toEqual([]);
  });
});
