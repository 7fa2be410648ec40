import { describe, expect, it } from 'vitest';
import { PooledRandomIdGenerator } from './traces';

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
