/**
 * Issue 18, items 1 and 2: one small anonymous request must not block or kill a service. GraphQL
 * documents whose naive cost is exponential (nested fragment spreads) are refused in time linear in
 * the document while the frontend keeps answering `/health`; GraphQL is POST only.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { metricPoints } from '@mcp/otlp-receiver';
import { startSystem, type RunningSystem } from './support/system';
import { request } from './support/faults';

const run = randomUUID().slice(0, 8);
let system: RunningSystem;

beforeAll(async () => {
  system = await startSystem(`cost-${run}`, { serviceEnv: { frontend: { RATE_LIMIT_PER_MINUTE: '1000000' } } });
}, 120_000);

afterAll(async () => {
  await system?.stop();
}, 60_000);

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
/** `levels` fragments each spreading the one before twice: 2^levels copies of the first one's fields once spread. */
const doubling = (levels: number, spreadAt: (top: string) => string, type: string, first: string): string =>
  `${spreadAt(`...F${levels}`)} fragment F0 on ${type} { ${first} } ${range(levels)
    .map((i) => `fragment F${i + 1} on ${type} { ...F${i} ...F${i} }`)
    .join(' ')}`;

/** The worst documents found: exponential when walked spread by spread, or the most work graphql's own rules do within the limits. */
const ATTACKS: Array<[name: string, query: string, message: RegExp]> = [
  ['30 levels of root-field fragments', doubling(30, (top) => `{ ${top} }`, 'Query', 'models { name }'), /^fragment F7 selects more than 200 fields/],
  ['45 levels of Model fragments', doubling(45, (top) => `{ models { ${top} } }`, 'Model', 'name description'), /^fragment F7 selects more than 200 fields/],
  ['60 levels (past the fragment limit)', doubling(60, (top) => `{ ${top} }`, 'Query', 'models { name }'), /^document has more than 50 fragment definitions/],
  ['a cycle of 49 fragments each spreading the next two', `{ ...C0 } ${range(49).map((i) => `fragment C${i} on Query { ...C${(i + 1) % 49} ...C${(i + 2) % 49} }`).join(' ')}`, /^Cannot spread fragment "C0" within itself/],
  ['99 same-named object fields in a fragment (OverlappingFieldsCanBeMerged, quadratic)', `{ models { name } } fragment X on Query { ${'models { name } '.repeat(99)} }`, /^Fragment "X" is never used/],
];

it('GraphQL documents of exponential naive cost are refused with 400 naming the limit while /health keeps answering', { timeout: 120_000 }, async () => {
  const url = `${system.frontend.url}/graphql`;
  const answers: Array<{ name: string; status: number | string; message: string; ms: number }> = [];
  let attacking = true;
  const attacker = async (offset: number): Promise<void> => {
    for (let i = offset; attacking; i += 1) {
      const [name, query] = ATTACKS[i % ATTACKS.length] as (typeof ATTACKS)[number];
      const started = performance.now();
      // graphql-response+json: graphql's own validation errors are 400 too, not only the limits'.
      const outcome = await request(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' }, body: JSON.stringify({ query }), timeoutMs: 20_000 });
      const ms = performance.now() - started;
      if (!outcome.ok) {
        answers.push({ name, status: outcome.code, message: '', ms });
        continue;
      }
      const body = JSON.parse(outcome.response.text) as { errors?: Array<{ message: string }> };
      answers.push({ name, status: outcome.response.status, message: body.errors?.[0]?.message ?? '', ms });
    }
  };
  // One of each first, so the figures are not the process's first-request warm-up.
  for (const [, query] of ATTACKS) await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }), timeoutMs: 20_000 });
  await new Promise((resolve) => setTimeout(resolve, 700));
  const attackStartedAt = BigInt(Date.now()) * 1_000_000n;
  const attackers = range(4).map((offset) => attacker(offset));

  // The attack is in flight before the first probe and still answering after the last one.
  while (answers.length < 20) await new Promise((resolve) => setTimeout(resolve, 20));
  const answeredBeforeProbes = answers.length;
  const probes: Array<{ status: number | string; ms: number }> = [];
  for (let i = 0; i < 20; i += 1) {
    const started = performance.now();
    const outcome = await request(`${system.frontend.url}/health`, { timeoutMs: 10_000 });
    probes.push({ status: outcome.ok ? outcome.response.status : outcome.code, ms: performance.now() - started });
  }
  const answeredDuringProbes = answers.length - answeredBeforeProbes;
  attacking = false;
  await Promise.all(attackers);
  const attackEndedAt = BigInt(Date.now()) * 1_000_000n;

  // Event-loop delay of the frontend during the attack, from its own runtime metrics (reset at every export).
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const loopDelay = (name: string): number =>
    Math.max(
      0,
      ...metricPoints(system.receiver.metrics(), name)
        .filter((point) => point.serviceName === 'frontend' && point.timeUnixNano >= attackStartedAt && point.timeUnixNano <= attackEndedAt + 1_000_000_000n)
        .map((point) => point.value ?? 0),
    );

  const byName = ATTACKS.map(([name]) => {
    const mine = answers.filter((answer) => answer.name === name).map((answer) => answer.ms).sort((a, b) => a - b);
    return `${name}: ${mine.length} answers, median ${mine[Math.floor(mine.length / 2)]?.toFixed(1)} ms, max ${mine.at(-1)?.toFixed(1)} ms`;
  });
  const figure =
    `${answers.length} attack requests by 4 clients, ${answeredDuringProbes} answered while 20 /health probes ran (${probes.filter((p) => p.status === 200).length}/20 answered 200, max ${Math.max(...probes.map((p) => p.ms)).toFixed(1)} ms); ` +
    `frontend event-loop delay during the attack: max ${(loopDelay('nodejs.eventloop.delay.max') * 1000).toFixed(1)} ms, p99 ${(loopDelay('nodejs.eventloop.delay.p99') * 1000).toFixed(1)} ms; ${byName.join('; ')}`;
  console.log(`[RELIABILITY] scenario 14 ${figure}`);

  expect(probes.map((probe) => probe.status), figure).toEqual(range(20).map(() => 200));
  expect(answeredDuringProbes, figure).toBeGreaterThan(0);
  for (const [name, , message] of ATTACKS) {
    const mine = answers.filter((answer) => answer.name === name);
    expect(mine.length, figure).toBeGreaterThan(0);
    for (const answer of mine) {
      expect(answer.status, `${name}: ${answer.message}`).toBe(400);
      expect(answer.message, name).toMatch(message);
    }
  }
  expect(system.frontend.exitInfo(), system.frontend.describe()).toBeUndefined();
});

it('GraphQL is POST only: a GET query (which any web page can make a visitor send) is 405 with Allow: POST, and runs nothing', async () => {
  const query = new URLSearchParams({ query: `{ route(modelType: "stub-small", prompt: "csrf ${run}", userId: "csrf-${run}") { response } }` });
  const outcome = await request(`${system.frontend.url}/graphql?${query.toString()}`);
  if (!outcome.ok) throw new Error(outcome.code);
  expect(outcome.response.status).toBe(405);
  expect(outcome.response.headers['allow']).toBe('POST');
  expect(JSON.parse(outcome.response.text)).toEqual({ errors: [{ message: 'GET is not allowed on /graphql: POST the query as JSON (content-type: application/json)', extensions: { code: 'METHOD_NOT_ALLOWED' } }] });
  // Nothing reached the model-router: no gRPC server span in the router for this request.
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(system.receiver.spans().filter((span) => span.serviceName === 'model-router' && span.kind === 'SERVER' && /Route$/.test(span.name))).toEqual([]);
});
