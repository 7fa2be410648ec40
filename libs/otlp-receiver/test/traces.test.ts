import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOtlpProto, startOtlpReceiver } from '../src';
import type { OtlpEncoding, OtlpReceiver } from '../src';
import { SPAN_1, SPAN_2, SPAN_3, T0, TRACE_A, TRACE_B, bool, dbl, int, post, span, str, traceRequest } from './support/otlp-payloads';

let receiver: OtlpReceiver;
beforeEach(async () => {
  receiver = await startOtlpReceiver();
});
afterEach(async () => {
  await receiver.close();
});

const richRequest = traceRequest('orders', [
  span({
    traceId: TRACE_A,
    spanId: SPAN_1,
    name: 'GET /orders/:id',
    kind: 'SPAN_KIND_SERVER',
    durationMs: 12.5,
    attributes: [
      str('http.route', '/orders/:id'),
      int('http.response.status_code', 200),
      dbl('ratio', 0.25),
      bool('cache.hit', false),
      { key: 'tags', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '2' }] } } },
      { key: 'nested', value: { kvlistValue: { values: [str('inner', 'x'), int('n', 7)] } } },
      { key: 'raw', value: { bytesValue: Buffer.from('hi').toString('base64') } },
      { key: 'empty', value: {} },
    ],
    status: { code: 'STATUS_CODE_ERROR', message: 'boom' },
    events: [{ name: 'exception', timeUnixNano: (T0 + 5n).toString(), attributes: [str('exception.message', 'boom')] }],
    links: [{ traceId: TRACE_B, spanId: SPAN_3, attributes: [str('link.kind', 'batch')] }],
  }),
  span({ traceId: TRACE_A, spanId: SPAN_2, parentSpanId: SPAN_1, name: 'SELECT orders', kind: 3, startOffsetMs: 1, durationMs: 4 }),
]);

describe.each<OtlpEncoding>(['protobuf', 'json'])('spans over OTLP/HTTP %s', (encoding) => {
  it('answers 200 with an empty ExportTraceServiceResponse in the same encoding', async () => {
    const res = await post(receiver.url, 'traces', richRequest, { encoding });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(encoding === 'json' ? 'application/json' : 'application/x-protobuf');
    const body = Buffer.from(await res.arrayBuffer());
    if (encoding === 'json') {
      expect(JSON.parse(body.toString())).toEqual({});
    } else {
      const type = loadOtlpProto().response.traces;
      expect(type.toObject(type.decode(body))).toEqual({});
    }
  });

  it('flattens every span with ids, kind, times, attributes, status, events, links, resource and scope', async () => {
    await post(receiver.url, 'traces', richRequest, { encoding });
    const [root, child] = receiver.spans();

    expect(root).toMatchObject({
      traceId: TRACE_A,
      spanId: SPAN_1,
      parentSpanId: undefined,
      name: 'GET /orders/:id',
      kind: 'SERVER',
      startTimeUnixNano: T0,
      endTimeUnixNano: T0 + 12_500_000n,
      durationMs: 12.5,
      status: { code: 'ERROR', message: 'boom' },
      serviceName: 'orders',
      resource: { 'service.name': 'orders' },
      scope: { name: 'test-scope', version: '1.2.3' },
      encoding,
    });
    expect(root?.attributes).toEqual({
      'http.route': '/orders/:id',
      'http.response.status_code': 200,
      ratio: 0.25,
      'cache.hit': false,
      tags: ['a', 2],
      nested: { inner: 'x', n: 7 },
      raw: new Uint8Array(Buffer.from('hi')),
      empty: null,
    });
    expect(root?.events).toEqual([{ name: 'exception', timeUnixNano: T0 + 5n, attributes: { 'exception.message': 'boom' } }]);
    expect(root?.links).toEqual([{ traceId: TRACE_B, spanId: SPAN_3, traceState: undefined, attributes: { 'link.kind': 'batch' } }]);

    expect(child).toMatchObject({ parentSpanId: SPAN_1, kind: 'CLIENT', durationMs: 4, status: { code: 'UNSET', message: undefined } });
  });

  it('accepts a gzip Content-Encoding and counts requests per encoding', async () => {
    await post(receiver.url, 'traces', richRequest, { encoding, gzip: true });
    await post(receiver.url, 'traces', richRequest, { encoding });
    expect(receiver.spans()).toHaveLength(4);
    const other = encoding === 'json' ? 'protobuf' : 'json';
    expect(receiver.requests.traces).toMatchObject({ [encoding]: 2, [other]: 0, gzip: 1, accepted: 2, faulted: 0, invalid: 0 });
    expect(receiver.requests.total).toBe(2);
  });
});

describe('OTLP/JSON leniency', () => {
  it('accepts enum ints, integer timestamps as numbers and ids sent as base64', async () => {
    const request = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'lenient' } }] },
          scopeSpans: [
            {
              spans: [
                {
                  traceId: Buffer.from(TRACE_A, 'hex').toString('base64'),
                  spanId: SPAN_1,
                  name: 'x',
                  kind: 2,
                  startTimeUnixNano: 1000,
                  endTimeUnixNano: 3_001_000,
                  status: { code: 1 },
                },
              ],
            },
          ],
        },
      ],
    };
    const res = await post(receiver.url, 'traces', request, { encoding: 'json' });
    expect(res.status).toBe(200);
    expect(receiver.spans()[0]).toMatchObject({ traceId: TRACE_A, kind: 'SERVER', durationMs: 3, status: { code: 'OK' }, scope: { name: '', version: undefined } });
  });

  it('reports a missing service.name as unknown_service and an unspecified kind as INTERNAL', async () => {
    await post(receiver.url, 'traces', { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: TRACE_A, spanId: SPAN_1, name: 'bare' }] }] }] }, { encoding: 'json' });
    expect(receiver.spans()[0]).toMatchObject({ serviceName: 'unknown_service', kind: 'INTERNAL', resource: {} });
  });
});

it('reset() forgets spans and counters', async () => {
  await post(receiver.url, 'traces', richRequest);
  receiver.reset();
  expect(receiver.spans()).toEqual([]);
  expect(receiver.requests.total).toBe(0);
});
