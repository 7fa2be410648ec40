import { createTraceState, ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type Attributes, type HrTime } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { serializeTraceExportRequest } from './otlp-trace-protobuf';

/** Where two encodings first differ (-1: nowhere), with both lengths: one assertion that says where it broke. */
function difference(actual: Uint8Array, expected: Uint8Array): { length: number; firstDifference: number } {
  const common = Math.min(actual.length, expected.length);
  let at = 0;
  while (at < common && actual[at] === expected[at]) at++;
  return { length: actual.length, firstDifference: at === common && actual.length === expected.length ? -1 : at };
}

function expectUpstreamBytes(spans: ReadableSpan[]): Uint8Array {
  const expected = ProtobufTraceSerializer.serializeRequest(spans);
  if (expected === undefined) throw new Error('upstream serialised nothing');
  const actual = serializeTraceExportRequest(spans);
  expect(difference(actual, expected)).toEqual({ length: expected.length, firstDifference: -1 });
  return actual;
}

const ASTRAL = '😀𝄞';
const UNICODE_VALUES = ['héllo wörld', 'Ελληνικά', '日本語のテキスト', ASTRAL, `mixed ${ASTRAL} ascii`, 'lone high \ud800 end', 'lone low \udc00', '\ud83d', 'ß'.repeat(100)];

/** Every kind of AnyValue the SDK accepts, and the edges of upstream's int/double decision. */
const EVERY_VALUE_KIND: Attributes = {
  'str.ascii': 'GET',
  'str.empty': '',
  'str.long': 'x'.repeat(300),
  'str.unicode': UNICODE_VALUES[0],
  'str.astral': ASTRAL,
  'bool.true': true,
  'bool.false': false,
  'int.zero': 0,
  'int.negative_zero': -0,
  'int.small': 42,
  'int.negative': -1,
  'int.u32_max': 0xffffffff,
  'int.beyond_u32': 2 ** 32 + 5,
  'int.safe_max': Number.MAX_SAFE_INTEGER,
  'int.safe_min': Number.MIN_SAFE_INTEGER,
  'int.min_int64': -(2 ** 63),
  'double.two_pow_63': 2 ** 63,
  'double.beyond': 1e300,
  'double.fraction': 3.14159,
  'double.negative': -0.5,
  'double.nan': Number.NaN,
  'double.infinity': Infinity,
  'double.negative_infinity': -Infinity,
  'array.strings': ['a', 'b', '', ASTRAL],
  'array.numbers': [1, 2.5, -3, 2 ** 40],
  'array.booleans': [true, false],
  'array.empty': [],
  'array.long': Array.from({ length: 500 }, (_, i) => `item-${i}`),
};

describe('serializeTraceExportRequest: byte for byte what otlp-transformer writes', () => {
  it('an empty batch', () => {
    expect(serializeTraceExportRequest([])).toEqual(ProtobufTraceSerializer.serializeRequest([]));
  });

  it('spans of the real SDK: every field, several resources and scopes, interleaved', async () => {
    const exporter = new InMemorySpanExporter();
    const providers = [
      new TracerProvider({
        resource: resourceFromAttributes({ 'service.name': 'checkout', 'service.version': '1.2.3', 'host.cores': 8, 'deployment.canary': false }),
        spanProcessors: [new SimpleSpanProcessor({ exporter })],
      }),
      new TracerProvider({
        resource: resourceFromAttributes({ 'service.name': `svc ${UNICODE_VALUES[2]}`, 'telemetry.sdk.language': 'nodejs' }, { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' }),
        spanProcessors: [new SimpleSpanProcessor({ exporter })],
        // Small limits, so that attributes, events and links are dropped and counted.
        spanLimits: { attributeCountLimit: 4, eventCountLimit: 2, linkCountLimit: 1, attributeValueLengthLimit: 12 },
      }),
    ];
    const tracers = providers.flatMap((provider) => [
      provider.getTracer('@scope/http', '0.300.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.28.0' }),
      provider.getTracer('plain'),
      provider.getTracer(UNICODE_VALUES[1]!, ''),
    ]);
    const remoteParent = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
      traceState: createTraceState('vendor=value,other=x'),
    });
    const unsampledRemoteParent = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
    const kinds = [SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER];
    const times: HrTime[] = [
      [1_765_000_000, 123_456_789],
      [0, 0],
      [1, 999_999_999],
      [2 ** 31 + 7, 500],
      [4_294_967_295, 999_999_999],
    ];

    let n = 0;
    for (let round = 0; round < 3; round++) {
      for (const tracer of tracers) {
        n++;
        const parentContext = n % 3 === 0 ? remoteParent : n % 3 === 1 ? unsampledRemoteParent : ROOT_CONTEXT;
        const outer = tracer.startSpan(n % 2 ? `GET /users/${n}` : UNICODE_VALUES[n % UNICODE_VALUES.length]!, { kind: kinds[n % kinds.length], startTime: times[n % times.length] }, parentContext);
        outer.setAttributes(EVERY_VALUE_KIND);
        outer.setAttribute('bytes', new Uint8Array([0, 1, 2, 255]));
        outer.setAttribute('buffer', Buffer.from('binary\u0000data'));
        outer.setAttribute('kvlist', { a: 1, b: 'two', nested: { deeper: [1, 'x', { z: null }], empty: {} }, '': 'empty key', [ASTRAL]: true } as never);
        outer.setAttribute('array.mixed', [1, 'a', true, null, [2, [3]], { k: 'v' }] as never);
        outer.setAttribute('unicode.key.ключ', UNICODE_VALUES[n % UNICODE_VALUES.length]!);
        outer.addEvent('exception', { 'exception.type': 'Error', 'exception.message': 'boom ' + ASTRAL, count: n }, times[(n + 1) % times.length]);
        outer.addEvent('', undefined, [1_765_000_001, 0]);
        outer.addEvent('third', { x: 1 });
        outer.addLink({ context: { traceId: 'ffffffffffffffffffffffffffffffff', spanId: '0000000000000001', traceFlags: TraceFlags.NONE, isRemote: true, traceState: createTraceState('a=b') }, attributes: { reason: 'follows', n } });
        outer.addLink({ context: { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED } });
        if (n % 4 === 0) outer.setStatus({ code: SpanStatusCode.ERROR, message: n % 8 === 0 ? 'failed ' + ASTRAL : '' });
        else if (n % 4 === 1) outer.setStatus({ code: SpanStatusCode.OK });
        const inner = tracer.startSpan('child', {}, trace.setSpan(parentContext, outer));
        inner.end();
        outer.end(n % 5 === 0 ? [times[n % times.length]![0] + 1, 7] : undefined);
      }
    }
    await Promise.all(providers.map((provider) => provider.forceFlush()));
    const spans = exporter.getFinishedSpans();
    expect(spans.length).toBe(36);
    expect(spans.some((span) => span.droppedAttributesCount > 0 && span.droppedEventsCount > 0 && span.droppedLinksCount > 0)).toBe(true);
    expect(new Set(spans.map((span) => span.resource)).size).toBe(2);
    expectUpstreamBytes(spans);
    // Each span alone and in reverse order too: other groupings, the same writer state between calls.
    for (const span of spans) expectUpstreamBytes([span]);
    expectUpstreamBytes([...spans].reverse());
  });

  it('a batch of 1024 HTTP server spans, the same attributes over and over (the keys and repeated pairs kept between spans)', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 'api' }), spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const tracer = provider.getTracer('@opentelemetry/instrumentation-http', '0.300.0');
    for (let i = 0; i < 1024; i++) {
      const span = tracer.startSpan('GET /', { kind: SpanKind.SERVER });
      span.setAttributes(httpServerAttributes(i));
      span.end();
    }
    await provider.forceFlush();
    const spans = exporter.getFinishedSpans();
    expect(spans.length).toBe(1024);
    // Three batches: the same pairs come back, and must still be written each time in full.
    for (let batch = 0; batch < 3; batch++) expectUpstreamBytes(spans);
    // A value that changes after repeating: the kept pair must not be used for it.
    const changed = spans.slice(0, 3).map((span, i) => ({ ...span, spanContext: () => span.spanContext(), attributes: { ...span.attributes, 'http.route': i === 2 ? '/other' : '/' } }));
    expectUpstreamBytes(changed as ReadableSpan[]);
  });

  it('lengths of four bytes (a 3 MB attribute): the output grows past its first guess, each enclosing length moves', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    const tracer = provider.getTracer('big');
    tracer.startSpan('small').end();
    const big = tracer.startSpan('big');
    big.setAttribute('payload', 'p'.repeat(3 * 1024 * 1024));
    big.setAttribute('payload.unicode', 'ü'.repeat(100_000));
    big.end();
    tracer.startSpan('after').end();
    await provider.forceFlush();
    const spans = exporter.getFinishedSpans();
    expect(expectUpstreamBytes(spans).length).toBeGreaterThan(3 * 1024 * 1024);
    expectUpstreamBytes(spans.slice(0, 1));
  });

  it('a randomised corpus of 5000 spans (seeded), in batches of every size', () => {
    const random = seeded(0x15_02);
    const corpus = randomCorpus(random, 5000);
    let offset = 0;
    let batches = 0;
    while (offset < corpus.length) {
      const size = Math.min(corpus.length - offset, 1 + Math.floor(random() ** 3 * 1024));
      expectUpstreamBytes(corpus.slice(offset, offset + size));
      offset += size;
      batches++;
    }
    expect(batches).toBeGreaterThan(10);
  });
});

function httpServerAttributes(i: number): Attributes {
  return {
    'http.request.method': 'GET',
    'url.scheme': 'http',
    'url.path': '/',
    'server.address': 'localhost',
    'server.port': 3000,
    'network.peer.address': '127.0.0.1',
    'network.peer.port': 40_000 + (i % 1000),
    'client.address': '127.0.0.1',
    'user_agent.original': 'autocannon/8.0.0 (benchmark; +https://github.com/mcollina/autocannon)',
    'network.protocol.version': '1.1',
    'http.route': '/',
    'http.response.status_code': 200,
    'http.response.body.size': i % 7 === 0 ? 1.5 : 17,
  };
}

/** mulberry32: a small seeded generator, so that a failure can be replayed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Spans as plain objects of the ReadableSpan shape (what the serialisers read), with what the SDK
 * would never produce too: odd ids, counts and codes, missing parts.
 */
function randomCorpus(random: () => number, count: number): ReadableSpan[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const integer = (max: number): number => Math.floor(random() * max);
  const hex = (length: number): string => Array.from({ length }, () => '0123456789abcdef'[integer(16)]).join('');
  const CHARS = ['a', 'Z', '0', ' ', '/', '-', 'é', 'ß', 'Ω', '€', '中', '😀', '\ud800', '\udfff', '\u007f', '\u0080', '\u07ff', '\u0800', '\uffff', '\u0000'];
  const text = (): string => {
    const length = random() < 0.1 ? integer(400) : integer(24);
    const ascii = random() < 0.7;
    let s = '';
    for (let i = 0; i < length; i++) s += ascii ? String.fromCharCode(32 + integer(95)) : pick(CHARS);
    return s;
  };
  const NUMBERS = [0, -0, 1, -1, 127, 128, 16_383, 16_384, 2 ** 31, -(2 ** 31), 2 ** 32 - 1, 2 ** 32, 2 ** 53, -(2 ** 53), 2 ** 62, -(2 ** 63), 2 ** 63, 2 ** 64, 0.1, -7.25, 1e-300, Number.NaN, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE];
  const number = (): number => (random() < 0.5 ? pick(NUMBERS) : random() < 0.5 ? integer(2 ** 31) - 2 ** 30 : (random() - 0.5) * 10 ** integer(30));
  const value = (depth: number): unknown => {
    const r = random();
    if (r < 0.35) return text();
    if (r < 0.55) return number();
    if (r < 0.62) return random() < 0.5;
    if (r < 0.66) return Uint8Array.from({ length: integer(40) }, () => integer(256));
    if (r < 0.68) return [null, undefined][integer(2)];
    if (depth > 2) return text();
    if (r < 0.84) return Array.from({ length: random() < 0.1 && depth === 0 ? integer(200) : integer(4) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: integer(5) }, () => [text(), value(depth + 1)]));
  };
  const KEYS = ['http.request.method', 'url.path', 'http.route', 'server.port', 'db.statement', 'ключ', '', 'k' + ASTRAL];
  const attributes = (): Attributes => {
    const entries = Array.from({ length: integer(12) }, () => [random() < 0.6 ? pick(KEYS) : text(), value(0)]);
    return Object.fromEntries(entries) as Attributes;
  };
  const time = (): HrTime => (random() < 0.9 ? [1_700_000_000 + integer(100_000_000), integer(1e9)] : [integer(2 ** 32), integer(1e9)]);
  const traceState = () => (random() < 0.2 ? createTraceState(`v${integer(9)}=x${integer(99)}`) : random() < 0.05 ? createTraceState('') : undefined);
  const context = () => ({ traceId: random() < 0.98 ? hex(32) : hex(integer(40)), spanId: hex(16), traceFlags: integer(256), isRemote: random() < 0.3 ? undefined : random() < 0.5, traceState: traceState() });

  const resources = Array.from({ length: 3 }, () => ({ attributes: attributes(), schemaUrl: random() < 0.5 ? text() : undefined }));
  const scopes = Array.from({ length: 5 }, () => ({
    name: text(),
    version: random() < 0.6 ? text() : undefined,
    schemaUrl: random() < 0.3 ? text() : undefined,
    attributes: random() < 0.3 ? attributes() : undefined,
    droppedAttributesCount: random() < 0.2 ? integer(5) : undefined,
  }));
  return Array.from({ length: count }, () => {
    const spanContext = context();
    const parent = random() < 0.6 ? { ...context(), spanId: random() < 0.95 ? hex(16) : '' } : undefined;
    return {
      name: text(),
      kind: random() < 0.05 ? undefined : integer(5),
      spanContext: () => spanContext,
      parentSpanContext: parent,
      startTime: time(),
      endTime: time(),
      status: { code: integer(3), message: random() < 0.3 ? text() : undefined },
      attributes: random() < 0.05 ? undefined : attributes(),
      links: Array.from({ length: random() < 0.8 ? 0 : integer(4) }, () => ({ context: context(), attributes: random() < 0.5 ? attributes() : undefined, droppedAttributesCount: random() < 0.3 ? integer(300) : undefined })),
      events: Array.from({ length: random() < 0.7 ? 0 : integer(5) }, () => ({ name: text(), time: time(), attributes: random() < 0.5 ? attributes() : undefined, droppedAttributesCount: random() < 0.3 ? integer(300) : undefined })),
      duration: [0, 0],
      ended: true,
      resource: pick(resources),
      instrumentationScope: pick(scopes),
      droppedAttributesCount: random() < 0.8 ? 0 : integer(100_000),
      droppedEventsCount: integer(3),
      droppedLinksCount: random() < 0.9 ? 0 : integer(2 ** 20),
    } as unknown as ReadableSpan;
  });
}
