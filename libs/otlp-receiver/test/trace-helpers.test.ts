import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ancestorsOf,
  assertParentChild,
  checkParentChild,
  childrenOf,
  findSpan,
  groupByService,
  parentOf,
  renderTraceTree,
  startOtlpReceiver,
  traceOf,
} from '../src';
import type { OtlpReceiver, ReceivedSpan } from '../src';
import { SPAN_1, SPAN_2, SPAN_3, SPAN_4, TRACE_A, TRACE_B, int, post, span, str, traceRequest } from './support/otlp-payloads';

// One trace across two services, three levels deep:
//   frontend: GET /checkout [SERVER]
//     frontend: POST [CLIENT]
//       payments: POST /charge [SERVER]  (ERROR)
// plus an unrelated root span in another trace.
let receiver: OtlpReceiver;
let spans: ReceivedSpan[];
beforeAll(async () => {
  receiver = await startOtlpReceiver();
  await post(
    receiver.url,
    'traces',
    traceRequest('frontend', [
      span({ traceId: TRACE_A, spanId: SPAN_2, parentSpanId: SPAN_1, name: 'POST', kind: 'SPAN_KIND_CLIENT', startOffsetMs: 2, durationMs: 6 }),
      span({ traceId: TRACE_A, spanId: SPAN_1, name: 'GET /checkout', kind: 'SPAN_KIND_SERVER', durationMs: 10, attributes: [str('http.route', '/checkout')] }),
      span({ traceId: TRACE_B, spanId: SPAN_4, name: 'health', kind: 'SPAN_KIND_SERVER', startOffsetMs: 50 }),
    ]),
  );
  await post(
    receiver.url,
    'traces',
    traceRequest('payments', [
      span({
        traceId: TRACE_A,
        spanId: SPAN_3,
        parentSpanId: SPAN_2,
        name: 'POST /charge',
        kind: 'SPAN_KIND_SERVER',
        startOffsetMs: 3,
        durationMs: 4,
        attributes: [int('http.response.status_code', 502)],
        status: { code: 'STATUS_CODE_ERROR', message: 'card processor down' },
      }),
    ]),
    { encoding: 'json' },
  );
  spans = await receiver.waitForSpans(4);
});
afterAll(async () => {
  await receiver.close();
});

const byName = (name: string): ReceivedSpan => {
  const found = findSpan(spans, { name });
  if (!found) throw new Error(`no span ${name}`);
  return found;
};

describe('navigation', () => {
  it('traceOf returns one trace sorted by start time', () => {
    expect(traceOf(spans, TRACE_A).map((s) => s.name)).toEqual(['GET /checkout', 'POST', 'POST /charge']);
    expect(traceOf(spans, TRACE_B).map((s) => s.name)).toEqual(['health']);
  });

  it('groupByService maps service names to their spans', () => {
    const groups = groupByService(spans);
    expect([...groups.keys()]).toEqual(['frontend', 'payments']);
    expect(groups.get('frontend')?.map((s) => s.name)).toEqual(['POST', 'GET /checkout', 'health']);
    expect(groups.get('payments')?.map((s) => s.name)).toEqual(['POST /charge']);
  });

  it('childrenOf, parentOf and ancestorsOf follow parentSpanId across services', () => {
    expect(childrenOf(spans, byName('GET /checkout')).map((s) => s.name)).toEqual(['POST']);
    expect(childrenOf(spans, byName('POST')).map((s) => s.serviceName)).toEqual(['payments']);
    expect(childrenOf(spans, byName('POST /charge'))).toEqual([]);
    expect(parentOf(spans, byName('POST /charge'))?.name).toBe('POST');
    expect(parentOf(spans, byName('GET /checkout'))).toBeUndefined();
    expect(ancestorsOf(spans, byName('POST /charge')).map((s) => s.name)).toEqual(['POST', 'GET /checkout']);
  });

  it('findSpan takes a query (name, service, kind, attributes) or a predicate', () => {
    expect(findSpan(spans, { serviceName: 'payments', kind: 'SERVER', attributes: { 'http.response.status_code': 502 } })?.name).toBe('POST /charge');
    expect(findSpan(spans, { name: /checkout/, attributes: { 'http.route': '/checkout' } })?.spanId).toBe(SPAN_1);
    expect(findSpan(spans, { name: 'POST', kind: 'SERVER' })).toBeUndefined();
    expect(findSpan(spans, (s) => s.status.code === 'ERROR')?.name).toBe('POST /charge');
  });
});

describe('parent/child assertions', () => {
  it('pass for a direct parent, across services, and for an ancestor with direct: false', () => {
    const { parent, child } = assertParentChild(spans, { name: 'POST', kind: 'CLIENT' }, { serviceName: 'payments' });
    expect([parent.spanId, child.spanId]).toEqual([SPAN_2, SPAN_3]);
    expect(checkParentChild(spans, byName('GET /checkout'), byName('POST')).ok).toBe(true);
    expect(checkParentChild(spans, { name: 'GET /checkout' }, { name: 'POST /charge' }, { direct: false }).ok).toBe(true);
  });

  it('fail with a readable explanation and the trace tree', () => {
    const result = checkParentChild(spans, { name: 'GET /checkout' }, { name: 'POST /charge' });
    expect(result.ok).toBe(false);
    expect(result.error).toContain('expected {"name":"GET /checkout"} to be the parent of {"name":"POST /charge"}, but:');
    expect(result.error).toContain(`payments: POST /charge [SERVER] (span ${SPAN_3}) has parent frontend: POST [CLIENT] (span ${SPAN_2})`);
    expect(result.error).toContain(`trace ${TRACE_A} (3 spans)`);
    expect(result.error).not.toContain(TRACE_B);

    expect(() => assertParentChild(spans, { name: 'nope' }, { name: 'POST' })).toThrow(/no span matches the parent \{"name":"nope"\}/);
    expect(() => assertParentChild(spans, { name: 'POST' }, (s) => s.name === 'health')).toThrow('is a root span');
  });
});

describe('renderTraceTree', () => {
  it('prints each trace as an indented tree with service, name, kind, duration and errors', () => {
    expect(renderTraceTree(spans)).toBe(
      [
        `trace ${TRACE_A} (3 spans)`,
        '  frontend: GET /checkout [SERVER] 10.0ms',
        '    frontend: POST [CLIENT] 6.0ms',
        '      payments: POST /charge [SERVER] 4.0ms ERROR: card processor down',
        `trace ${TRACE_B} (1 span)`,
        '  frontend: health [SERVER] 1.0ms',
      ].join('\n'),
    );
  });

  it('marks spans whose parent was not received and can print attributes', () => {
    const partial = spans.filter((s) => s.name !== 'POST');
    expect(renderTraceTree(traceOf(partial, TRACE_A), { attributes: ['http.response.status_code'] })).toBe(
      [
        `trace ${TRACE_A} (2 spans)`,
        '  frontend: GET /checkout [SERVER] 10.0ms',
        `  payments: POST /charge [SERVER] 4.0ms ERROR: card processor down http.response.status_code=502 (parent ${SPAN_2} not received)`,
      ].join('\n'),
    );
    expect(renderTraceTree([])).toBe('(no spans)');
  });
});
