import { trace } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BusinessMetrics, hashUserId } from '../src/index';
import { allMetricAttributes, histogramPoints, instrumentKind, metricNamed, startOtelHarness, sumPoints } from './support/otel-test.harness';
import type { CollectedMetric, OtelHarness } from './support/otel-test.harness';

const USER_ID = 'alice@example.com';

let otel: OtelHarness;
let business: BusinessMetrics;

beforeAll(() => {
  otel = startOtelHarness();
  business = new BusinessMetrics({ userHashKey: 'test-key' });
});
afterAll(async () => {
  await otel.shutdown();
});
beforeEach(async () => {
  await otel.reset();
});

function descriptorOf(collected: CollectedMetric[], name: string) {
  const entry = metricNamed(collected, name);
  return { scope: entry.scope, unit: entry.metric.descriptor.unit, kind: instrumentKind(entry) };
}

describe('BusinessMetrics instruments', () => {
  it.each([
    ['mcp_user_sessions_total', '{session}', 'counter'],
    ['mcp_user_session_duration_seconds', 's', 'histogram'],
    ['mcp_active_user_sessions', '{session}', 'updowncounter'],
    ['mcp_content_generation_total', '{request}', 'counter'],
    ['mcp_content_generation_duration_seconds', 's', 'histogram'],
    ['mcp_content_length_generated_total', '{char}', 'counter'],
    ['mcp_collaboration_sessions_total', '{session}', 'counter'],
    ['mcp_collaboration_participants', '{participant}', 'histogram'],
    ['mcp_collaboration_duration_seconds', 's', 'histogram'],
    ['mcp_cost_incurred_total', '{USD}', 'counter'],
    ['mcp_cost_by_model_total', '{USD}', 'counter'],
    ['mcp_cost_by_user_total', '{USD}', 'counter'],
  ])('%s has unit %s and is a %s on the mcp-business-metrics meter', async (name, unit, kind) => {
    business.recordUserStart('pro');
    business.recordUserEnd('pro', 120);
    business.recordContentGeneration('stub-small', 0.4, 300, 0.002);
    business.recordCollaborationStart(3);
    business.recordCollaborationEnd(600);
    business.recordUserCost(USER_ID, 0.002, 'stub-small', 'pro');

    expect(descriptorOf(await otel.collect(), name)).toEqual({ scope: 'mcp-business-metrics', unit, kind });
  });
});

describe('BusinessMetrics user sessions', () => {
  it('labels sessions by user type only', async () => {
    business.recordUserStart('free');
    business.recordUserStart('free');
    business.recordUserEnd('free', 30);

    const collected = await otel.collect();
    expect(sumPoints(metricNamed(collected, 'mcp_active_user_sessions'))).toEqual([{ attributes: { 'mcp.user_type': 'free' }, value: 1 }]);
    expect(sumPoints(metricNamed(collected, 'mcp_user_sessions_total'))).toEqual([{ attributes: { 'mcp.user_type': 'free' }, value: 1 }]);
    expect(histogramPoints(metricNamed(collected, 'mcp_user_session_duration_seconds'))).toEqual([
      {
        attributes: { 'mcp.user_type': 'free' },
        count: 1,
        boundaries: [1, 5, 15, 30, 60, 300, 900, 1800, 3600, 7200, 14400, 28800],
        sum: 30,
      },
    ]);
  });

  it('folds a flood of user types into other and ignores negative durations', async () => {
    const bounded = new BusinessMetrics({ maxAttributeValues: 3, knownUserTypes: ['pro'] });
    for (let i = 0; i < 1000; i += 1) bounded.recordUserEnd(`type-${i}`, -5);
    bounded.recordUserEnd('pro', 1);

    const collected = await otel.collect();
    const sessions = sumPoints(metricNamed(collected, 'mcp_user_sessions_total'));
    expect(sessions.map((point) => point.attributes['mcp.user_type']).sort()).toEqual(['other', 'pro', 'type-0', 'type-1', 'type-2']);
    expect(sessions.find((point) => point.attributes['mcp.user_type'] === 'other')?.value).toBe(997);
    expect(histogramPoints(metricNamed(collected, 'mcp_user_session_duration_seconds'))).toEqual([
      expect.objectContaining({ attributes: { 'mcp.user_type': 'pro' }, count: 1 }),
    ]);
  });
});

describe('BusinessMetrics content generation and collaboration', () => {
  it('records count, duration, length and cost by model type', async () => {
    business.recordContentGeneration('stub-large', 1.5, 2_000, 0.03);
    business.recordContentGeneration('stub-large', 0.5, 1_000, 0.01);

    const collected = await otel.collect();
    const labels = { 'mcp.model_type': 'stub-large' };
    expect(sumPoints(metricNamed(collected, 'mcp_content_generation_total'))).toEqual([{ attributes: labels, value: 2 }]);
    expect(histogramPoints(metricNamed(collected, 'mcp_content_generation_duration_seconds'))).toEqual([
      expect.objectContaining({ attributes: labels, count: 2, sum: 2 }),
    ]);
    expect(sumPoints(metricNamed(collected, 'mcp_content_length_generated_total'))).toEqual([{ attributes: labels, value: 3_000 }]);
    expect(sumPoints(metricNamed(collected, 'mcp_cost_incurred_total'))[0]?.value).toBeCloseTo(0.04);
    expect(sumPoints(metricNamed(collected, 'mcp_cost_by_model_total'))).toEqual([{ attributes: labels, value: expect.closeTo(0.04) }]);
  });

  it('records collaboration sessions without session ids', async () => {
    business.recordCollaborationStart(4);
    business.recordCollaborationParticipants(5); // a later join: size recorded, no new session
    business.recordCollaborationEnd(90);

    const collected = await otel.collect();
    expect(sumPoints(metricNamed(collected, 'mcp_collaboration_sessions_total'))).toEqual([{ attributes: {}, value: 1 }]);
    expect(histogramPoints(metricNamed(collected, 'mcp_collaboration_participants'))).toEqual([
      { attributes: {}, count: 2, boundaries: [1, 2, 3, 4, 5, 8, 10, 15, 20, 50, 100], sum: 9 },
    ]);
    expect(histogramPoints(metricNamed(collected, 'mcp_collaboration_duration_seconds'))).toEqual([
      expect.objectContaining({ attributes: {}, count: 1, sum: 90 }),
    ]);
  });
});

describe('BusinessMetrics.recordUserCost', () => {
  it('keeps user ids out of metrics and spans, and puts a keyed hash on the active span', async () => {
    trace.getTracer('test').startActiveSpan('POST /api/route', (span) => {
      business.recordUserCost(USER_ID, 0.25, 'stub-medium', 'pro');
      span.end();
    });

    const collected = await otel.collect();
    expect(sumPoints(metricNamed(collected, 'mcp_cost_by_user_total'))).toEqual([
      { attributes: { 'mcp.user_type': 'pro', 'mcp.model_type': 'stub-medium' }, value: 0.25 },
    ]);
    // Cost totals are written by recordContentGeneration only, so one request is not counted twice.
    const names = collected.map((entry) => entry.metric.descriptor.name);
    expect(names).not.toContain('mcp_cost_incurred_total');
    expect(names).not.toContain('mcp_cost_by_model_total');

    const [span] = otel.spans();
    expect(span?.attributes['mcp.user_hash']).toBe(hashUserId(USER_ID, 'test-key'));
    expect(span?.attributes['mcp.user_hash']).toMatch(/^[0-9a-f]{16}$/);
    expect(span?.attributes).not.toHaveProperty('mcp.user_id');

    const everything = JSON.stringify([allMetricAttributes(collected), otel.spans().map((s) => s.attributes)]);
    expect(everything).not.toContain(USER_ID);
    expect(everything).not.toContain('alice');
  });

  it('labels cost without a user type as unknown and does nothing to spans when none is active', async () => {
    business.recordUserCost(USER_ID, 1, 'stub-small');

    expect(sumPoints(metricNamed(await otel.collect(), 'mcp_cost_by_user_total'))).toEqual([
      { attributes: { 'mcp.user_type': 'unknown', 'mcp.model_type': 'stub-small' }, value: 1 },
    ]);
    expect(otel.spans()).toEqual([]);
  });
});

describe('hashUserId', () => {
  it.each([
    { name: 'is stable', a: hashUserId('u1'), b: hashUserId('u1'), same: true },
    { name: 'differs between users', a: hashUserId('u1'), b: hashUserId('u2'), same: false },
    { name: 'differs between keys', a: hashUserId('u1', 'k1'), b: hashUserId('u1', 'k2'), same: false },
    { name: 'differs keyed from unkeyed', a: hashUserId('u1', 'k1'), b: hashUserId('u1'), same: false },
  ])('$name', ({ a, b, same }) => {
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(a === b).toBe(same);
  });
});
