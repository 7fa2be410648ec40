/**
 * Issue 6, scenario 11: PII canaries. Unique values are sent where secrets and personal data live —
 * a prompt (REST, GraphQL and a workflow's input), a user id, an `Authorization` header and a cookie,
 * the password in the frontend's DATABASE_URL and REDIS_URL (a redis-server of the test with
 * `requirepass`), the shared internal secret — and both stores are cut for a moment so that error
 * paths log too. Then every service is stopped (flushing everything) and every string of every span,
 * metric point and log record the receiver got (and the raw body of any request none of whose
 * records matched) is searched: no canary may appear.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DATABASE_URL, INTERNAL_API_SECRET, startSystem, type RunningSystem } from './support/system';
import { postJsonRaw, redisChild, sleep, startTcpProxy, type RedisChild, type TcpProxy } from './support/faults';

const run = randomUUID().replace(/-/g, '');
const canaries = {
  prompt: `canaryprompt${run}`,
  userId: `canaryuser${run}`,
  authorization: `canarybearer${run}`,
  cookie: `canarycookie${run}`,
  dbPassword: `canarydbpw${run}`,
  redisPassword: `canaryredispw${run}`,
  workflowInput: `canaryinput${run}`,
};
let system: RunningSystem;
let redis: RedisChild;
let proxy: TcpProxy;

beforeAll(async () => {
  redis = await redisChild({ password: canaries.redisPassword });
  await redis.start();
  const target = new URL(DATABASE_URL);
  proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
  const db = new URL(DATABASE_URL);
  db.port = String(proxy.port);
  // The machine's PostgreSQL trusts local connections: the password is sent nowhere that checks it, but
  // it is in the URL the service parses, logs around and hands to the pg instrumentation.
  db.password = canaries.dbPassword;
  system = await startSystem(`pii-${run.slice(0, 8)}`, {
    serviceEnv: { frontend: { DATABASE_URL: db.toString(), REDIS_URL: redis.url, LEDGER_TABLE: `usage_ledger_pii_${run.slice(0, 8)}` } },
  });
}, 120_000);

afterAll(async () => {
  await system?.stop();
  await redis?.stop();
  await proxy?.close();
  const db = new pg.Client({ connectionString: DATABASE_URL });
  await db.connect();
  await db.query(`DROP TABLE IF EXISTS usage_ledger_pii_${run.slice(0, 8)}`).catch(() => undefined);
  await db.end();
}, 60_000);

it('exports no prompt, user id, credential or secret in any span, metric or log', { timeout: 120_000 }, async () => {
  const headers = { authorization: `Bearer ${canaries.authorization}`, cookie: `session=${canaries.cookie}` };
  const answers: number[] = [];
  const status = (r: Awaited<ReturnType<typeof postJsonRaw>>): number => (r.ok ? r.response.status : 0);
  const exercise = async (label: string): Promise<void> => {
    answers.push(status(await postJsonRaw(`${system.frontend.url}/api/route`, { model_type: 'stub-small', prompt: `${canaries.prompt} ${label}`, user_id: canaries.userId }, headers)));
    answers.push(
      status(
        await postJsonRaw(
          `${system.frontend.url}/graphql`,
          { query: 'query R($p: String!, $u: ID!) { route(modelType: "stub-small", prompt: $p) { response cached } usage(userId: $u) { requests } }', variables: { p: `${canaries.prompt} gql ${label}`, u: canaries.userId } },
          headers,
        ),
      ),
    );
    answers.push(
      status(
        await postJsonRaw(
          `${system.frontend.url}/api/workflow/execute`,
          {
            workflow_type: 'pii',
            session_id: `pii-${run.slice(0, 8)}`,
            user_id: canaries.userId,
            input_data: { text: `${canaries.workflowInput} ${label}` },
            steps: [
              { type: 'model_inference', name: 'draft', model_type: 'stub-small', prompt_template: `${canaries.prompt} {text}` },
              { type: 'data_processing', name: 'upper', operation: 'uppercase' },
            ],
          },
          headers,
        ),
      ),
    );
    // A wrong prompt type: the validation error path.
    answers.push(status(await postJsonRaw(`${system.frontend.url}/api/route`, { model_type: 'stub-small', prompt: [canaries.prompt], user_id: canaries.userId }, headers)));
  };

  await exercise('up');
  // Error paths: both stores away for a moment.
  await redis.stop();
  await proxy.cut();
  await exercise('stores down');
  await sleep(300);
  await redis.start();
  await proxy.restore();
  await sleep(1_500);
  await exercise('stores back');

  // Everything the services will ever export: stop them (SIGTERM drains, then flushes).
  const processes = [system.frontend, system.orchestrator, system.hub, system.modelRouter];
  for (const p of processes) p.kill('SIGTERM');
  await Promise.all(processes.map((p) => p.waitForExit(20_000)));

  const secrets = { ...canaries, internalSecret: INTERNAL_API_SECRET };
  const hits = Object.entries(secrets).map(([name, value]) => ({ name, hits: system.receiver.scanFor(value) }));
  const totals = `${system.receiver.spans().length} spans, ${system.receiver.metrics().length} metric points, ${system.receiver.logs().length} log records`;
  const figure = `answers ${JSON.stringify(answers)}; scanned ${totals}; canary hits: ${hits.map((h) => `${h.name} ${h.hits.length}`).join(', ')}`;
  console.log(`[RELIABILITY] scenario 11 ${figure}`);

  expect(system.receiver.spans().length, figure).toBeGreaterThan(50);
  expect(system.receiver.logs().length, figure).toBeGreaterThan(10);
  // The requests really carried the canaries: answered (the stores-down round too), bad input refused.
  expect(answers.filter((a) => a === 200).length, figure).toBe(9);
  for (const h of hits) expect(h.hits.slice(0, 3), `${h.name}: ${figure}`).toEqual([]);
});
