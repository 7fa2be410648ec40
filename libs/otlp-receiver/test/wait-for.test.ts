import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startOtlpReceiver } from '../src';
import type { OtlpReceiver } from '../src';
import { SPAN_1, SPAN_2, SPAN_3, TRACE_A, logsRequest, metricsRequest, post, span, str, traceRequest } from './support/otlp-payloads';

let receiver: OtlpReceiver;
beforeEach(async () => {
  receiver = await startOtlpReceiver();
});
afterEach(async () => {
  await receiver.close();
});

const spans = (service: string, ...names: string[]) =>
  traceRequest(
    service,
    names.map((name, i) => span({ traceId: TRACE_A, spanId: [SPAN_1, SPAN_2, SPAN_3][i] ?? SPAN_3, name, kind: 'SPAN_KIND_SERVER' })),
  );

const counter = (value: number, route: string) =>
  metricsRequest('api', [
    { name: 'requests', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ attributes: [str('route', route)], asInt: String(value) }] } },
  ]);

describe('waitFor* resolve when the data arrives', () => {
  it('waitForSpans(count) resolves with all spans once enough arrived, even when they come later', async () => {
    const waiting = receiver.waitForSpans(3, { timeoutMs: 5_000 });
    await post(receiver.url, 'traces', spans('a', 'one', 'two'));
    await post(receiver.url, 'traces', spans('b', 'three'));
    expect((await waiting).map((s) => s.name)).toEqual(['one', 'two', 'three']);
  });

  it('waitForSpans(matcher) resolves with the matching spans (query object or predicate)', async () => {
    await post(receiver.url, 'traces', spans('a', 'GET /x', 'other'));
    expect(await receiver.waitForSpans({ name: /^GET /, serviceName: 'a' })).toHaveLength(1);
    const two = receiver.waitForSpans((s) => s.name === 'late', { count: 2 });
    await post(receiver.url, 'traces', spans('b', 'late', 'late'));
    expect(await two).toHaveLength(2);
  });

  it('waitForMetric resolves with the latest point matching attributes and predicate', async () => {
    const waiting = receiver.waitForMetric('requests', { attributes: { route: '/a' }, predicate: (p) => (p.value ?? 0) >= 2 });
    await post(receiver.url, 'metrics', counter(1, '/a'));
    await post(receiver.url, 'metrics', counter(9, '/b'));
    await post(receiver.url, 'metrics', counter(2, '/a'));
    expect(await waiting).toMatchObject({ name: 'requests', value: 2, attributes: { route: '/a' } });
  });

  it('waitForLogs(predicate) and waitForLogs(count)', async () => {
    const byBody = receiver.waitForLogs((log) => log.body === 'ready');
    await post(receiver.url, 'logs', logsRequest('api', [{ body: { stringValue: 'booting' } }, { body: { stringValue: 'ready' } }]), { encoding: 'json' });
    expect(await byBody).toHaveLength(1);
    expect(await receiver.waitForLogs(2)).toHaveLength(2);
  });

  it('a throwing predicate rejects the wait with its error', async () => {
    await post(receiver.url, 'traces', spans('a', 'x'));
    await expect(
      receiver.waitForSpans(() => {
        throw new Error('predicate bug');
      }),
    ).rejects.toThrow('predicate bug');
  });
});

describe('waitFor* timeouts explain what was received', () => {
  it('waitForSpans lists span names by service and the trace tree', async () => {
    await post(receiver.url, 'traces', spans('checkout', 'POST /cart', 'POST /cart'));
    await post(receiver.url, 'traces', spans('stock', 'reserve'));
    const error = await receiver.waitForSpans({ name: 'GET /never', serviceName: 'checkout' }, { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toContain('waitForSpans: timed out after 50 ms waiting for 1 span(s) matching {"name":"GET /never","serviceName":"checkout"}');
    expect(message).toContain('3 span(s) received, by service:');
    expect(message).toContain('checkout (2): POST /cart [SERVER] ×2');
    expect(message).toContain('stock (1): reserve [SERVER]');
    expect(message).toContain(`trace ${TRACE_A}`);
  });

  it('waitForSpans with nothing received says so; description overrides the predicate name', async () => {
    await expect(receiver.waitForSpans(() => false, { timeoutMs: 20, description: 'a db span' })).rejects.toThrow(
      /waiting for 1 span\(s\) matching a db span\.\nno spans were received/,
    );
  });

  it('waitForMetric shows the points of that name that did not match', async () => {
    await post(receiver.url, 'metrics', counter(1, '/a'));
    const error = (await receiver.waitForMetric('requests', { attributes: { route: '/z' }, timeoutMs: 30 }).catch((e: unknown) => e)) as Error;
    expect(error.message).toContain('waiting for metric "requests" with attributes {"route":"/z"}');
    expect(error.message).toContain('api (1): requests (sum)');
    expect(error.message).toContain('1 point(s) named "requests" did not match, e.g.:\n  {"route":"/a"} value=1');
  });

  it('waitForLogs lists log bodies by service', async () => {
    await post(receiver.url, 'logs', logsRequest('api', [{ body: { stringValue: 'hello world' } }]));
    await expect(receiver.waitForLogs((l) => l.severityNumber >= 17, { timeoutMs: 30, description: 'an error log' })).rejects.toThrow(
      /waitForLogs: timed out after 30 ms waiting for 1 log record\(s\) matching an error log\.\n1 log record\(s\) received, by service:\n {2}api \(1\): hello world/,
    );
  });

  it('close() rejects pending waits instead of leaving them hanging', async () => {
    const waiting = receiver.waitForSpans(1, { timeoutMs: 60_000 });
    await receiver.close();
    await expect(waiting).rejects.toThrow('waitForSpans: the receiver was closed waiting for 1 span(s)');
    await expect(receiver.waitForLogs(1)).rejects.toThrow('the receiver is closed');
  });
});
