import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startOtlpReceiver } from '../src';
import type { OtlpReceiver } from '../src';
import { SPAN_1, TRACE_A, post, span, traceRequest } from './support/otlp-payloads';

let receiver: OtlpReceiver;
beforeEach(async () => {
  receiver = await startOtlpReceiver();
});
afterEach(async () => {
  await receiver.close();
});

const oneSpan = traceRequest('svc', [span({ traceId: TRACE_A, spanId: SPAN_1, name: 'op' })]);

describe('HTTP contract', () => {
  it('answers 404 for other paths, 405 for other methods, 415 for other content types', async () => {
    expect((await fetch(`${receiver.url}/v1/profiles`, { method: 'POST', body: 'x' })).status).toBe(404);
    expect((await fetch(`${receiver.url}/`)).status).toBe(404);
    expect((await fetch(receiver.endpoints.traces)).status).toBe(405);
    const text = await post(receiver.url, 'traces', 'hello', { contentType: 'text/plain' });
    expect(text.status).toBe(415);
    expect(await text.text()).toContain('application/x-protobuf');
    expect(receiver.requests).toMatchObject({ notFound: 2, total: 4, traces: { invalid: 2, protobuf: 0, json: 0 } });
  });

  it('answers 400 with a google.rpc.Status body for undecodable protobuf, JSON and gzip bodies', async () => {
    const badProtobuf = await post(receiver.url, 'traces', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]));
    expect(badProtobuf.status).toBe(400);
    expect(badProtobuf.headers.get('content-type')).toBe('application/x-protobuf');

    const badJson = await post(receiver.url, 'logs', '{"resourceLogs": [', { encoding: 'json' });
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ code: 3, message: expect.stringContaining('cannot decode OTLP logs request (json)') });

    const wrongShape = await post(receiver.url, 'metrics', '{"resourceMetrics": "nope"}', { encoding: 'json' });
    expect(wrongShape.status).toBe(400);

    const res = await fetch(receiver.endpoints.traces, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
      body: Buffer.from('not gzip at all'),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ message: expect.stringContaining('invalid gzip body') });

    expect(receiver.spans()).toEqual([]);
    expect(receiver.requests.traces).toMatchObject({ invalid: 2, accepted: 0, gzip: 1 });
  });

  it('accepts the Content-Type with parameters and in any case', async () => {
    const res = await post(receiver.url, 'traces', JSON.stringify(oneSpan), { contentType: 'Application/JSON; charset=utf-8' });
    expect(res.status).toBe(200);
    expect(receiver.requests.traces.json).toBe(1);
  });

  it('answers 413 above maxBodyBytes, including after gunzip', async () => {
    const small = await startOtlpReceiver({ maxBodyBytes: 1024 });
    try {
      const big = JSON.stringify({ resourceSpans: [], padding: 'x'.repeat(4096) });
      expect((await post(small.url, 'traces', big, { encoding: 'json' })).status).toBe(413);
      // 4 KiB of JSON gzips to far less than 1 KiB: the limit applies to the inflated body too.
      const gzipped = gzipSync(big);
      expect(gzipped.length).toBeLessThan(1024);
      const res = await fetch(small.endpoints.traces, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
        body: gzipped,
      });
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({ message: expect.stringContaining('inflated body larger than 1024 bytes') });
      expect(small.requests.traces).toMatchObject({ invalid: 2, accepted: 0 });
    } finally {
      await small.close();
    }
  });
});

describe('fault injection', () => {
  it('respondWith(503, { times }) fails that many requests, discards their data, then recovers', async () => {
    receiver.respondWith(503, { times: 2, headers: { 'Retry-After': '1' } });
    const first = await post(receiver.url, 'traces', oneSpan);
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('1');
    expect((await post(receiver.url, 'traces', oneSpan, { encoding: 'json' })).status).toBe(503);
    expect(receiver.spans()).toEqual([]);

    expect((await post(receiver.url, 'traces', oneSpan)).status).toBe(200);
    expect(receiver.spans()).toHaveLength(1);
    expect(receiver.requests.traces).toMatchObject({ protobuf: 2, json: 1, faulted: 2, accepted: 1 });
  });

  it('respondWith without times lasts until clearFaults(), and can target one signal', async () => {
    receiver.respondWith(429, { signals: ['metrics'] });
    expect((await post(receiver.url, 'metrics', { resourceMetrics: [] })).status).toBe(429);
    expect((await post(receiver.url, 'metrics', { resourceMetrics: [] })).status).toBe(429);
    expect((await post(receiver.url, 'traces', oneSpan)).status).toBe(200);
    receiver.clearFaults();
    expect((await post(receiver.url, 'metrics', { resourceMetrics: [] })).status).toBe(200);
  });

  it('reset() also ends a fault', async () => {
    receiver.respondWith(500);
    receiver.reset();
    expect((await post(receiver.url, 'traces', oneSpan)).status).toBe(200);
  });

  it('hang() keeps the request unanswered so the client times out, and close() still finishes', async () => {
    receiver.hang();
    const attempt = post(receiver.url, 'traces', oneSpan, { signal: AbortSignal.timeout(300) });
    await expect(attempt).rejects.toMatchObject({ name: 'TimeoutError' });
    // A second request on a fresh connection stays open while we close.
    const pending = post(receiver.url, 'logs', { resourceLogs: [] }).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await receiver.close();
    expect(await pending).toBeInstanceOf(Error);
    expect(receiver.requests.traces.faulted).toBe(1);
  });

  it('hang({ times: 1 }) hangs one request only', async () => {
    receiver.hang({ times: 1 });
    await expect(post(receiver.url, 'traces', oneSpan, { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    expect((await post(receiver.url, 'traces', oneSpan)).status).toBe(200);
    expect(receiver.spans()).toHaveLength(1);
  });

  it('setDelay() holds answers back while the data is stored at once', async () => {
    receiver.setDelay(60_000);
    const attempt = post(receiver.url, 'traces', oneSpan, { signal: AbortSignal.timeout(300) });
    await expect(attempt).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(receiver.spans()).toHaveLength(1);
    receiver.setDelay(0);
    expect((await post(receiver.url, 'traces', oneSpan)).status).toBe(200);
  });

  it('the delay applies to fault answers too', async () => {
    const slow = await startOtlpReceiver({ delayMs: 20 });
    try {
      slow.respondWith(503, { times: 1 });
      expect((await post(slow.url, 'traces', oneSpan)).status).toBe(503);
      expect((await post(slow.url, 'traces', oneSpan)).status).toBe(200);
    } finally {
      await slow.close();
    }
  });

  it('rejects an invalid status', () => {
    expect(() => receiver.respondWith(42)).toThrow(RangeError);
  });
});

it('close() is idempotent and the port is released', async () => {
  const { port } = receiver;
  await receiver.close();
  await receiver.close();
  const again = await startOtlpReceiver({ port });
  expect(again.port).toBe(port);
  await again.close();
});

it('exporterEnv() points an OTLP exporter at the receiver', () => {
  expect(receiver.exporterEnv('http/json')).toEqual({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
  expect(receiver.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(receiver.endpoints.logs).toBe(`${receiver.url}/v1/logs`);
});
