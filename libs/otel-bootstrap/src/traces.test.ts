import { createTraceState, ROOT_CONTEXT, SpanKind, TraceFlags, trace, type Context, type SpanContext } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import {
  InMemorySpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
  type SamplingResult,
} from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { DroppedSpanShortcut, PooledRandomIdGenerator, STARTUP_ROOT_SPAN_NAMES, traceIdFold, traceIdRatioBound } from './traces';

describe('PooledRandomIdGenerator', () => {
  it('gives lowercase hex trace ids of 16 bytes and span ids of 8, all distinct, across refills of its pool', () => {
    const ids = new PooledRandomIdGenerator();
    const traceIds = Array.from({ length: 2000 }, () => ids.generateTraceId());
    const spanIds = Array.from({ length: 2000 }, () => ids.generateSpanId());
    expect(traceIds.every((id) => /^[0-9a-f]{32}$/.test(id) && !/^0+$/.test(id))).toBe(true);
    expect(spanIds.every((id) => /^[0-9a-f]{16}$/.test(id) && !/^0+$/.test(id))).toBe(true);
    expect(new Set(traceIds).size).toBe(traceIds.length);
    expect(new Set(spanIds).size).toBe(spanIds.length);
  });
});

/** A real sampler that also notes each question it is asked (the trace id) and its answer. */
function noting(sampler: Sampler): Sampler & { asked: { traceId: string; result: SamplingResult }[] } {
  const asked: { traceId: string; result: SamplingResult }[] = [];
  return {
    asked,
    shouldSample(...args) {
      const result = sampler.shouldSample(...args);
      asked.push({ traceId: args[1], result });
      return result;
    },
    toString: () => sampler.toString(),
  };
}

function providerWithShortcut(sampler: Sampler, rootRatio?: number) {
  const exporter = new InMemorySpanExporter();
  const shortcut = new DroppedSpanShortcut(sampler, new PooledRandomIdGenerator(), rootRatio === undefined ? undefined : traceIdRatioBound(rootRatio));
  const provider = new TracerProvider({ sampler: shortcut.sampler, idGenerator: shortcut.idGenerator, spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const tracer = provider.getTracer('test');
  const start = (parent: Context = ROOT_CONTEXT, name = 'GET') => shortcut.startSpan(tracer, name, SpanKind.SERVER, undefined, parent);
  return { exporter, start };
}

const remoteParent = (traceFlags: number, traceState = createTraceState('vendor=1')): SpanContext => ({
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags,
  traceState,
  isRemote: true,
});

describe('DroppedSpanShortcut', () => {
  it('asks the sampler once per span; a dropped span is non-recording with fresh ids, a kept one is the SDK span of the trace id the sampler decided on', () => {
    const sampler = noting(new TraceIdRatioBasedSampler(0.5));
    const { exporter, start } = providerWithShortcut(sampler);

    const spans = Array.from({ length: 400 }, () => start());
    const recording = spans.map((span) => span.isRecording());
    for (const span of spans) span.end();

    expect(sampler.asked).toHaveLength(spans.length);
    const keptTraceIds = sampler.asked.filter(({ result }) => result.decision === 2).map(({ traceId }) => traceId);
    expect(exporter.getFinishedSpans().map((span) => span.spanContext().traceId)).toEqual(keptTraceIds);
    expect(recording.filter(Boolean)).toHaveLength(keptTraceIds.length);
    spans.forEach((span, i) => {
      const { traceId, spanId, traceFlags } = span.spanContext();
      expect(traceId).toBe(sampler.asked[i]?.traceId);
      expect(trace.isSpanContextValid(span.spanContext())).toBe(true);
      expect(spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(traceFlags).toBe(sampler.asked[i]?.result.decision === 2 ? TraceFlags.SAMPLED : TraceFlags.NONE);
    });
    const exported = exporter.getFinishedSpans();
    expect(exported.length, 'about half of 400 (binomial, ~8 sd)').toBeGreaterThan(120);
    expect(exported.length).toBeLessThan(280);
    expect(exported.every((span) => span.kind === SpanKind.SERVER && span.name === 'GET')).toBe(true);
    expect(new Set(spans.map((span) => span.spanContext().traceId)).size).toBe(spans.length);
  });

  it('under a parent-based sampler: a sampled parent is recorded as its child, an unsampled one continues its trace (trace state kept) unrecorded', () => {
    const sampler = noting(new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0) }));
    const { exporter, start } = providerWithShortcut(sampler);

    const sampledParent = remoteParent(TraceFlags.SAMPLED);
    const kept = start(trace.setSpanContext(ROOT_CONTEXT, sampledParent));
    kept.end();
    const unsampledParent = remoteParent(TraceFlags.NONE);
    const dropped = start(trace.setSpanContext(ROOT_CONTEXT, unsampledParent));
    const root = start();

    expect(sampler.asked).toHaveLength(3);
    const [exported] = exporter.getFinishedSpans();
    expect(exporter.getFinishedSpans()).toHaveLength(1);
    expect(exported?.spanContext()).toMatchObject({ traceId: sampledParent.traceId, traceFlags: TraceFlags.SAMPLED });
    expect(exported?.parentSpanContext?.spanId).toBe(sampledParent.spanId);
    expect(dropped.isRecording()).toBe(false);
    expect(dropped.spanContext()).toMatchObject({ traceId: unsampledParent.traceId, traceFlags: TraceFlags.NONE });
    expect(dropped.spanContext().spanId).not.toBe(unsampledParent.spanId);
    expect(dropped.spanContext().traceState?.serialize()).toBe('vendor=1');
    expect(root.isRecording()).toBe(false);
    expect(trace.isSpanContextValid(root.spanContext())).toBe(true);
  });

  it("takes the sampler's trace state over the parent's", () => {
    const state = createTraceState('ours=2');
    const { start } = providerWithShortcut({ shouldSample: () => ({ decision: 0, traceState: state }), toString: () => 'drop with state' });
    expect(start(trace.setSpanContext(ROOT_CONTEXT, remoteParent(TraceFlags.NONE))).spanContext().traceState).toBe(state);
    expect(start().spanContext().traceState).toBe(state);
  });

  it('in a context with tracing suppressed: the SDK answers (an invalid span), the sampler is not asked', () => {
    const sampler = noting(new TraceIdRatioBasedSampler(1));
    const { exporter, start } = providerWithShortcut(sampler);
    const span = start(suppressTracing(ROOT_CONTEXT));
    span.end();
    expect(trace.isSpanContextValid(span.spanContext())).toBe(false);
    expect(sampler.asked).toEqual([]);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});

/**
 * The shortcut's ratio decision from a drawn trace id's bytes against sdk-trace's
 * TraceIdRatioBasedSampler on the id's hex: the same for every id.
 */
describe('the ratio decision from the drawn trace id', () => {
  const RATIOS = [0, 1e-9, 0.1, 0.25, 1 / 3, 0.5, 0.999999999, 1];
  const upstreamSamples = (ratio: number, traceId: string) => new TraceIdRatioBasedSampler(ratio).shouldSample(ROOT_CONTEXT, traceId).decision === 2;

  it('decides as sdk-trace for 300 000 random ids at each ratio', () => {
    const ids = new PooledRandomIdGenerator();
    const drawn = Array.from({ length: 300_000 }, () => ({ traceId: ids.generateTraceId(), fold: ids.lastTraceIdFold }));
    for (const ratio of RATIOS) {
      const upstream = new TraceIdRatioBasedSampler(ratio);
      const bound = traceIdRatioBound(ratio);
      let differing = 0;
      let sampled = 0;
      for (const { traceId, fold } of drawn) {
        const ours = fold < bound;
        if (ours !== (upstream.shouldSample(ROOT_CONTEXT, traceId).decision === 2)) differing++;
        if (ours) sampled++;
      }
      expect(differing, `ratio ${ratio}`).toBe(0);
      expect(sampled / drawn.length, `ratio ${ratio}: the share sampled`).toBeCloseTo(ratio, 2);
    }
  });

  it('decides as sdk-trace at and around each bound, and at the extreme folds', () => {
    const idWithWords = (words: number[]) => {
      const bytes = Buffer.alloc(16);
      words.forEach((word, i) => bytes.writeUInt32BE(word >>> 0, i * 4));
      return { traceId: bytes.toString('hex'), fold: traceIdFold(bytes, 0) };
    };
    for (const ratio of [...RATIOS, Number.NaN, -1, 2]) {
      const bound = traceIdRatioBound(ratio);
      const folds = [0, 1, bound - 1, bound, bound + 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff].filter((f) => f >= 0 && f <= 0xffffffff);
      for (const fold of folds) {
        // The same fold reached through different words: the xor of all four is what counts.
        for (const words of [[fold, 0, 0, 0], [0, 0, 0, fold], [fold ^ 0x12345678, 0x12345678, 0xdeadbeef, 0xdeadbeef]]) {
          const id = idWithWords(words);
          if (/^0+$/.test(id.traceId)) continue; // never drawn (and invalid: upstream never samples it)
          expect(id.fold).toBe(fold >>> 0);
          expect(id.fold < bound, `ratio ${ratio}, fold ${fold}, ${id.traceId}`).toBe(upstreamSamples(ratio, id.traceId));
        }
      }
    }
  });

  it('starts root spans as the ratio sampler decides, without asking it; a span with a valid parent still asks it', () => {
    for (const configured of [new TraceIdRatioBasedSampler(0.1), new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.1) })]) {
      const sampler = noting(configured);
      const { exporter, start } = providerWithShortcut(sampler, 0.1);
      const roots = Array.from({ length: 2000 }, () => start());
      const recording = roots.map((span) => span.isRecording());
      for (const span of roots) span.end();
      expect(sampler.asked, `${configured}: root spans are decided without it`).toEqual([]);
      roots.forEach((span, i) => {
        const { traceId, traceFlags } = span.spanContext();
        expect(traceFlags === TraceFlags.SAMPLED).toBe(upstreamSamples(0.1, traceId));
        expect(recording[i]).toBe(traceFlags === TraceFlags.SAMPLED);
      });
      expect(exporter.getFinishedSpans().map((span) => span.spanContext().traceId)).toEqual(
        roots.filter((span) => span.spanContext().traceFlags === TraceFlags.SAMPLED).map((span) => span.spanContext().traceId),
      );

      start(trace.setSpanContext(ROOT_CONTEXT, remoteParent(TraceFlags.SAMPLED)));
      expect(sampler.asked, 'a span with a valid parent: asked').toHaveLength(1);
    }
  });

  it('leaves start-up root spans to the configured sampler (which drops them)', () => {
    const [startupName] = STARTUP_ROOT_SPAN_NAMES;
    const sampler = noting({ shouldSample: () => ({ decision: 0 }), toString: () => 'the start-up filter' });
    const { start } = providerWithShortcut(sampler, 1);
    expect(start(ROOT_CONTEXT, startupName).isRecording()).toBe(false);
    expect(sampler.asked).toHaveLength(1);
    expect(start(ROOT_CONTEXT, 'GET').isRecording()).toBe(true);
    expect(sampler.asked).toHaveLength(1);
  });
});
