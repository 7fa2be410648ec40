import { createContextKey, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { getRPCMetadata, RPCType, setRPCMetadata } from '@opentelemetry/core';
import { describe, expect, it } from 'vitest';
import { requestContextOf } from './context';

describe("a request's context", () => {
  const span = trace.wrapSpanContext({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.NONE });
  const other = trace.wrapSpanContext({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.NONE });
  const rpc = { type: RPCType.HTTP, span } as const;
  const baggageLike = createContextKey('a caller value');

  it('answers what setRPCMetadata(trace.setSpan(parent, span), rpc) answers, through the API and core', () => {
    const parent = ROOT_CONTEXT.setValue(baggageLike, 'from the caller');
    const ours = requestContextOf(parent, span, rpc);
    const theirs = setRPCMetadata(trace.setSpan(parent, span), rpc);
    for (const ctx of [ours, theirs]) {
      expect(trace.getSpan(ctx)).toBe(span);
      expect(getRPCMetadata(ctx)).toBe(rpc);
      expect(ctx.getValue(baggageLike)).toBe('from the caller');
    }
    expect(trace.getSpan(parent)).toBeUndefined();
  });

  it('sets and deletes like the API: a new context each time, the ones it came from unchanged', () => {
    const ours = requestContextOf(trace.setSpan(ROOT_CONTEXT.setValue(baggageLike, 1), other), span, rpc);
    const child = trace.setSpan(ours, other);
    const withoutSpan = trace.deleteSpan(ours);
    const withoutCaller = ours.deleteValue(baggageLike);
    const replaced = withoutCaller.setValue(baggageLike, 2);

    expect(trace.getSpan(child)).toBe(other);
    expect(getRPCMetadata(child)).toBe(rpc);
    expect(trace.getSpan(withoutSpan)).toBeUndefined();
    expect(getRPCMetadata(withoutSpan)).toBe(rpc);
    expect(withoutCaller.getValue(baggageLike)).toBeUndefined();
    expect(replaced.getValue(baggageLike)).toBe(2);
    expect(trace.getSpan(replaced)).toBe(span);
    expect(trace.getSpan(ours)).toBe(span);
    expect(ours.getValue(baggageLike)).toBe(1);
  });
});
