/**
 * Issue 16, item 1: the frontend's OTLP proxy (`POST /otlp/v1/traces`) is open to anyone who can reach
 * the page. One forged export of each kind is sent to the real frontend (compiled, preloaded), in
 * OTLP protobuf and OTLP/JSON; the test then reads, in the OTLP receiver the frontend forwards to,
 * what arrived and what did not. Every case has its own trace id.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { loadOtlpProto } from '@mcp/contracts';
import type { ReceivedSpan } from '@mcp/otlp-receiver';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSystem, type RunningSystem } from './support/system';
import { pollUntil } from './support/faults';

const run = randomUUID().slice(0, 8);
let system: RunningSystem;

beforeAll(async () => {
  system = await startSystem(`otlp-forgery-${run}`, {
    serviceEnv: { frontend: { OTLP_PROXY_RATE_LIMIT_PER_MINUTE: '1000' } },
    // The forged spans' attribute names (a.0, e.12, …) are this test's input, not the system's vocabulary.
    notInInventory: (span) => span.scope.name === 'forger',
  });
}, 120_000);

afterAll(async () => {
  await system?.stop();
}, 60_000);

const nowNs = (): bigint => BigInt(Date.now()) * 1_000_000n;
const str = (key: string, value: string) => ({ key, value: { stringValue: value } });
const attrs = (n: number, prefix = 'a') => Array.from({ length: n }, (_, i) => str(`${prefix}.${i}`, `v${i}`));

interface Case {
  name: string;
  /** What the proxy must do with it. */
  expect: 'rewritten' | 'refused';
  encoding: 'protobuf' | 'json';
  traceId: Buffer;
  body: Buffer | string;
}

/** An OTLP trace export of `spans` (plain objects in protobufjs' shape), with `resource` attributes. */
function exportOf(resource: unknown[], spans: Record<string, unknown>[]): Record<string, unknown> {
  return { resourceSpans: [{ resource: { attributes: resource }, scopeSpans: [{ scope: { name: 'forger', version: '1' }, spans }] }] };
}

function span(traceId: Buffer, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const start = nowNs() - 5_000_000n;
  return { traceId, spanId: randomBytes(8), name: 'forged', kind: 3, startTimeUnixNano: start.toString(), endTimeUnixNano: (start + 1_000_000n).toString(), ...overrides };
}

const protobuf = (request: Record<string, unknown>): Buffer => {
  const type = loadOtlpProto().request.traces;
  return Buffer.from(type.encode(type.fromObject(request)).finish());
};

/** OTLP/JSON: ids (the only bytes here) as hex strings. */
const json = (request: Record<string, unknown>): string => {
  const hexIds = (node: unknown): unknown => {
    if (Buffer.isBuffer(node)) return node.toString('hex');
    if (Array.isArray(node)) return node.map(hexIds);
    if (node !== null && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, hexIds(v)]));
    return node;
  };
  return JSON.stringify(hexIds(request));
};

function cases(): Case[] {
  const list: Case[] = [];
  const add = (name: string, expectation: Case['expect'], encoding: Case['encoding'], build: (traceId: Buffer) => Record<string, unknown> | Buffer | string) => {
    const traceId = randomBytes(16);
    const built = build(traceId);
    const body = Buffer.isBuffer(built) || typeof built === 'string' ? built : encoding === 'json' ? json(built) : protobuf(built);
    list.push({ name, expect: expectation, encoding, traceId, body });
  };
  const forgedResource = [str('service.name', 'frontend'), str('service.namespace', 'mcp-system'), str('telemetry.sdk.language', 'webjs'), str('host.name', 'db-primary')];
  // Rewritten: arrives, with the server's resource and bounded sizes.
  add('resource says service.name=frontend (protobuf)', 'rewritten', 'protobuf', (t) => exportOf(forgedResource, [span(t)]));
  add('resource says service.name=frontend (JSON)', 'rewritten', 'json', (t) => exportOf(forgedResource, [span(t)]));
  add('resource says telemetry.sdk.language=python', 'rewritten', 'protobuf', (t) => exportOf([str('service.name', 'web'), str('telemetry.sdk.language', 'python')], [span(t)]));
  add('200 attributes on a span', 'rewritten', 'protobuf', (t) => exportOf([], [span(t, { attributes: attrs(200) })]));
  add('a 300-character key and a 10 000-character value', 'rewritten', 'protobuf', (t) => exportOf([], [span(t, { attributes: [str('k'.repeat(300), 'x'), str('long', 'y'.repeat(10_000))] })]));
  add('a nested (kvlist) attribute value', 'rewritten', 'protobuf', (t) => exportOf([], [span(t, { attributes: [{ key: 'nested', value: { kvlistValue: { values: [str('a', 'b')] } } }, str('plain', 'ok')] })]));
  add('100 events of 30 attributes', 'rewritten', 'protobuf', (t) =>
    exportOf([], [span(t, { events: Array.from({ length: 100 }, (_, i) => ({ name: `e${i}`, timeUnixNano: nowNs().toString(), attributes: attrs(30, 'e') })) })]),
  );
  add('40 links', 'rewritten', 'protobuf', (t) => exportOf([], [span(t, { links: Array.from({ length: 40 }, () => ({ traceId: randomBytes(16), spanId: randomBytes(8) })) })]));
  // Refused (400): nothing arrives.
  add('trace id of 8 bytes', 'refused', 'protobuf', (t) => exportOf([], [span(t, { traceId: t.subarray(0, 8) })]));
  add('all-zero span id', 'refused', 'protobuf', (t) => exportOf([], [span(t, { spanId: Buffer.alloc(8) })]));
  add('all-zero trace id (JSON)', 'refused', 'json', (t) => exportOf([], [span(t, { traceId: Buffer.alloc(16) })]));
  add('ends before it starts', 'refused', 'protobuf', (t) => exportOf([], [span(t, { endTimeUnixNano: (nowNs() - 60_000_000_000n).toString() })]));
  add('started two days ago', 'refused', 'protobuf', (t) => exportOf([], [span(t, { startTimeUnixNano: (nowNs() - 172_800_000_000_000n).toString(), endTimeUnixNano: nowNs().toString() })]));
  add('unknown span kind 9', 'refused', 'protobuf', (t) => exportOf([], [span(t, { kind: 9 })]));
  add('600 spans in one request', 'refused', 'protobuf', (t) => exportOf([], Array.from({ length: 600 }, () => span(t))));
  add('not OTLP at all (random bytes)', 'refused', 'protobuf', () => randomBytes(64));
  add('metrics, not traces (JSON)', 'refused', 'json', () => JSON.stringify({ resourceMetrics: [{ resource: { attributes: [str('service.name', 'frontend')] }, scopeMetrics: [] }] }));
  return list;
}

const hex = (b: Buffer) => b.toString('hex');

it('a forged browser export arrives rewritten (resource web, sizes bounded) or is refused with 400; refused ones leave nothing in the trace store', { timeout: 120_000 }, async () => {
  const sent = cases();
  const answers: Array<{ c: Case; status: number; error: string }> = [];
  for (const c of sent) {
    const r = await fetch(`${system.frontend.url}/otlp/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': c.encoding === 'json' ? 'application/json' : 'application/x-protobuf' },
      body: c.body,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await r.text();
    const error = r.status !== 200 ? String((JSON.parse(text) as { error?: string }).error) : '';
    answers.push({ c, status: r.status, error });
  }
  const rewritten = sent.filter((c) => c.expect === 'rewritten');
  const refused = sent.filter((c) => c.expect === 'refused');
  const arrived = (await pollUntil(() => {
    const spans = system.receiver.spans().filter((s) => rewritten.some((c) => hex(c.traceId) === s.traceId));
    return spans.length >= rewritten.length ? spans : undefined;
  }, 100, 100)) ?? [];
  // The frontend's own spans keep flowing meanwhile; give any wrongly forwarded refused export the same time to show up.
  const leaked = system.receiver.spans().filter((s) => refused.some((c) => hex(c.traceId) === s.traceId));
  const of = (name: string): ReceivedSpan | undefined => {
    const c = sent.find((x) => x.name === name);
    return arrived.find((s) => c !== undefined && s.traceId === hex(c.traceId));
  };
  const forgedServiceNames = arrived.filter((s) => s.serviceName !== 'web').map((s) => s.serviceName);
  const proto = of('resource says service.name=frontend (protobuf)');
  const viaJson = of('resource says service.name=frontend (JSON)');
  const python = of('resource says telemetry.sdk.language=python');
  const many = of('200 attributes on a span');
  const long = of('a 300-character key and a 10 000-character value');
  const nested = of('a nested (kvlist) attribute value');
  const events = of('100 events of 30 attributes');
  const links = of('40 links');
  // The proxy's own count, as exported by the frontend (cumulative: the latest point per outcome).
  const outcome = (name: string): number | undefined =>
    system.receiver
      .metrics()
      .filter((p) => p.name === 'mcp_frontend_otlp_proxy_requests_total' && p.serviceName === 'frontend' && p.attributes['mcp.otlp_proxy.outcome'] === name)
      .at(-1)?.value;
  const counted = await pollUntil(() => (outcome('rewritten') === rewritten.length && outcome('refused') === refused.length ? { rewritten: outcome('rewritten'), refused: outcome('refused') } : undefined), 50, 100);

  const statusLine = answers.map((a) => `${a.c.name}: ${a.status}${a.error ? ` (${a.error})` : ''}`).join('; ');
  const figure =
    `sent ${sent.length} forged exports (${rewritten.length} to rewrite, ${refused.length} to refuse); answers: ${statusLine}. ` +
    `Arrived ${arrived.length}/${rewritten.length} rewritten spans, service.name of all ${[...new Set(arrived.map((s) => s.serviceName))].join(',')}; ` +
    `refused exports' spans in the store ${leaked.length}; resource of the forged one ${JSON.stringify(proto?.resource)}; ` +
    `attributes kept of 200: ${Object.keys(many?.attributes ?? {}).length}; long value cut to ${String(long?.attributes['long'] ?? '').length}, 300-char key kept ${long ? 'k'.repeat(300) in long.attributes : '?'}; ` +
    `nested value kept ${nested ? 'nested' in nested.attributes : '?'}; events kept of 100: ${events?.events.length}, attributes of the first of 30: ${Object.keys(events?.events[0]?.attributes ?? {}).length}; links kept of 40: ${links?.links.length}`;
  console.log(`[RELIABILITY] scenario 18 ${figure}; mcp_frontend_otlp_proxy_requests_total rewritten ${outcome('rewritten')}, refused ${outcome('refused')}`);

  for (const a of answers) expect(a.status, `${a.c.name}: ${figure}`).toBe(a.c.expect === 'rewritten' ? 200 : 400);
  for (const a of answers.filter((x) => x.c.expect === 'refused')) expect(a.error, a.c.name).toMatch(/trace export|no spans|too many|bytes|zero|before|kind/);
  expect(arrived.length, figure).toBe(rewritten.length);
  expect(forgedServiceNames, figure).toEqual([]);
  expect(leaked, figure).toEqual([]);
  expect(proto?.resource, figure).toEqual({ 'service.name': 'web', 'telemetry.sdk.language': 'webjs' });
  expect(viaJson?.resource, figure).toEqual({ 'service.name': 'web', 'telemetry.sdk.language': 'webjs' });
  expect(python?.resource, figure).toEqual({ 'service.name': 'web' });
  expect(Object.keys(many?.attributes ?? {}).length, figure).toBe(64);
  expect(String(long?.attributes['long']).length, figure).toBe(1024);
  expect(Object.keys(long?.attributes ?? {}), figure).toEqual(['long']);
  expect(Object.keys(nested?.attributes ?? {}), figure).toEqual(['plain']);
  expect(events?.events.length, figure).toBe(64);
  expect(Object.keys(events?.events[0]?.attributes ?? {}).length, figure).toBe(16);
  expect(links?.links.length, figure).toBe(16);
  expect(counted, figure).toEqual({ rewritten: rewritten.length, refused: refused.length });
});
