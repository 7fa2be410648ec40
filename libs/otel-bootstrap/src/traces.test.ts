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
import { DroppedSpanShortcut, PooledRandomIdGenerator } from './traces';

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

function providerWithShortcut(sampler: Sampler) {
  const exporter = new InMemorySpanExporter();
  const shortcut = new DroppedSpanShortcut(sampler, new PooledRandomIdGenerator());
  const provider = new TracerProvider({ sampler: shortcut.sampler, idGenerator: shortcut.idGenerator, spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const tracer = provider.getTracer('test');
  const start = (parent: Context = ROOT_CONTEXT) => shortcut.startSpan(tracer, 'GET', SpanKind.SERVER, undefined, parent);
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
