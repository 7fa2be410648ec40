import { randomBytes } from 'node:crypto';
import type { WireSpan, WireTraceRequest } from '@mcp/contracts';
import { describe, expect, it } from 'vitest';
import { checkBrowserTraces } from '../src/services/browser-traces';

const NOW_MS = 1_780_000_000_000;
const nowNs = BigInt(NOW_MS) * 1_000_000n;
const str = (key: string, value: string) => ({ key, value: { stringValue: value } });

/** What the web page's SDK sends: resource web/webjs, one fetch span. */
function genuine(spanOverrides: Partial<WireSpan> & Record<string, unknown> = {}, resource = [str('service.name', 'web'), str('telemetry.sdk.language', 'webjs'), str('service.version', '0.1.0')]): WireTraceRequest {
  const span = {
    traceId: randomBytes(16),
    spanId: randomBytes(8),
    name: 'HTTP POST',
    kind: 3,
    startTimeUnixNano: (nowNs - 2_000_000n).toString(),
    endTimeUnixNano: (nowNs - 1_000_000n).toString(),
    attributes: [str('http.request.method', 'POST')],
    ...spanOverrides,
  };
  return { resourceSpans: [{ resource: { attributes: resource }, scopeSpans: [{ scope: { name: '@opentelemetry/instrumentation-fetch', version: '0.1' }, spans: [span] }] }] };
}

const firstSpan = (request: WireTraceRequest) => request.resourceSpans?.[0]?.scopeSpans?.[0]?.spans?.[0] as WireSpan & { droppedAttributesCount?: number; droppedEventsCount?: number };

describe('checkBrowserTraces', () => {
  it('passes what the web page sends with no rewrite', () => {
    const verdict = checkBrowserTraces(genuine(), NOW_MS);
    expect(verdict.ok && verdict.rewrites).toEqual({ resourceAttributes: 0, attributesDropped: 0, valuesTruncated: 0, eventsDropped: 0, linksDropped: 0 });
    expect(verdict.ok && verdict.request.resourceSpans?.[0]?.resource?.attributes).toEqual([str('service.name', 'web'), str('telemetry.sdk.language', 'webjs'), str('service.version', '0.1.0')]);
  });

  it('sets the resource itself: a forged service.name and anything else the client adds are replaced', () => {
    const verdict = checkBrowserTraces(genuine({}, [str('service.name', 'model-router'), str('telemetry.sdk.language', 'nodejs'), str('k8s.pod.name', 'x')]), NOW_MS);
    expect(verdict.ok && verdict.request.resourceSpans?.[0]?.resource?.attributes).toEqual([str('service.name', 'web')]);
    expect(verdict.ok && verdict.rewrites.resourceAttributes).toBe(3);
  });

  it('bounds attributes and events, and counts what it dropped in the span', () => {
    const attributes = Array.from({ length: 70 }, (_, i) => str(`a${i}`, 'v'));
    const events = Array.from({ length: 70 }, () => ({ name: 'e', timeUnixNano: nowNs.toString(), attributes: [] }));
    const verdict = checkBrowserTraces(genuine({ attributes, events }), NOW_MS);
    const span = verdict.ok ? firstSpan(verdict.request) : undefined;
    expect(span?.attributes).toHaveLength(64);
    expect(span?.droppedAttributesCount).toBe(6);
    expect(span?.events).toHaveLength(64);
    expect(span?.droppedEventsCount).toBe(6);
  });

  it.each([
    ['a trace id of 15 bytes', { traceId: randomBytes(15) }, /trace id must be 16 bytes/],
    ['an all-zero span id', { spanId: Buffer.alloc(8) }, /span id must not be all zero/],
    ['a parent id of 4 bytes', { parentSpanId: randomBytes(4) }, /parent span id must be 8 bytes/],
    ['no start time', { startTimeUnixNano: undefined }, /start time is missing/],
    ['an end before the start', { endTimeUnixNano: (nowNs - 3_000_000n).toString() }, /ends before it starts/],
    ['a start two hours ahead of the server', { startTimeUnixNano: (nowNs + 7_200_000_000_000n).toString(), endTimeUnixNano: (nowNs + 7_200_000_000_001n).toString() }, /after the server's clock/],
    ['span kind 6', { kind: 6 }, /unknown span kind 6/],
    ['status code 3', { status: { code: 3 } }, /unknown status code 3/],
    ['a link with a zero trace id', { links: [{ traceId: Buffer.alloc(16), spanId: randomBytes(8) }] }, /link 0: trace id must not be all zero/],
  ])('refuses %s', (_name, overrides, reason) => {
    const verdict = checkBrowserTraces(genuine(overrides as Partial<WireSpan>), NOW_MS);
    expect(verdict.ok ? 'accepted' : verdict.reason).toMatch(reason);
  });

  it('refuses a request without spans and one with more than 512', () => {
    expect(checkBrowserTraces({ resourceSpans: [] }, NOW_MS)).toEqual({ ok: false, reason: 'the request has no spans: only trace data is accepted here' });
    const many = genuine();
    const spans = many.resourceSpans?.[0]?.scopeSpans?.[0]?.spans as WireSpan[];
    for (let i = 0; i < 512; i += 1) spans.push({ ...spans[0], spanId: randomBytes(8) });
    expect(checkBrowserTraces(many, NOW_MS)).toEqual({ ok: false, reason: 'too many spans in one request: 513 (at most 512)' });
  });
});
