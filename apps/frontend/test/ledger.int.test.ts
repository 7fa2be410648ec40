import { randomUUID } from 'node:crypto';
import { createLogger } from '@mcp/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryUsageLedger } from '../src/ledger/memory-usage-ledger';
import { PgUsageLedger } from '../src/ledger/pg-usage-ledger';
import type { UsageLedger, UsageRow } from '../src/ledger/usage-ledger';
import { DATABASE_URL, connectStores, uniqueSuffix } from './support/frontend-harness';
import type { Stores } from './support/frontend-harness';

const logger = createLogger('ledger-test', 'silent');
const row = (user: string | null, tokens: number, cost: number, cached: boolean): UsageRow => ({
  id: randomUUID(),
  user_id: user,
  model_type: 'stub-small',
  prompt_tokens: tokens - 2,
  completion_tokens: 2,
  tokens_used: tokens,
  cost_usd: cost,
  cached,
  trace_id: null,
  created_at: new Date(),
});

describe('usage ledger', () => {
  const suffix = uniqueSuffix();
  const table = `usage_ledger_schema_${suffix}`;
  let stores: Stores;
  const opened: PgUsageLedger[] = [];
  const open = (name = table) => {
    const ledger = new PgUsageLedger({ connectionString: DATABASE_URL, table: name, queryTimeoutMs: 5_000, poolMax: 2, logger });
    opened.push(ledger);
    return ledger;
  };

  beforeAll(async () => {
    stores = await connectStores();
  });
  afterAll(async () => {
    await Promise.all(opened.map((ledger) => ledger.close()));
    await stores?.dropTable(table);
    await stores?.close();
  });

  it('creates its schema idempotently: four instances starting at once, then one more, leave one table and one user_id index', async () => {
    await Promise.all([open(), open(), open(), open()].map((ledger) => ledger.init()));
    await open().init();
    const columns = await stores.pg.query('SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position', [table]);
    expect(columns.rows.map((c) => c.column_name)).toEqual(['id', 'user_id', 'model_type', 'prompt_tokens', 'completion_tokens', 'tokens_used', 'cost_usd', 'cached', 'trace_id', 'created_at']);
    const indexes = await stores.pg.query('SELECT indexdef FROM pg_indexes WHERE tablename = $1', [table]);
    expect(indexes.rows.map((i) => i.indexdef as string).filter((def) => def.includes('(user_id)'))).toHaveLength(1);
  });

  it('stores values as bind parameters: a hostile user id is data, not SQL', async () => {
    const ledger = open();
    const hostile = `x'); DROP TABLE ${table}; --`;
    await ledger.record(row(hostile, 10, 0.01, false));
    expect(await ledger.totals(hostile)).toMatchObject({ requests: 1, tokens: 10 });
  });

  const implementations: Array<[string, () => UsageLedger]> = [
    ['postgres', () => open()],
    ['memory', () => new MemoryUsageLedger()],
  ];
  it.each(implementations)('%s: totals per user (requests, tokens, cost, cached requests); anonymous rows count for nobody', async (_name, make) => {
    const ledger = make();
    await ledger.init();
    const user = `totals-${randomUUID()}`;
    await ledger.record(row(user, 100, 0.25, false));
    await ledger.record(row(user, 100, 0, true));
    await ledger.record(row(user, 40, 0.125, false));
    await ledger.record(row(null, 1_000, 5, false));
    await ledger.record(row(`${user}-other`, 7, 1, false));
    const totals = await ledger.totals(user);
    expect(totals).toEqual({ user_id: user, requests: 3, tokens: 240, cost_usd: expect.closeTo(0.375, 8), cached_requests: 1 });
    expect(await ledger.totals(`unknown-${user}`)).toEqual({ user_id: `unknown-${user}`, requests: 0, tokens: 0, cost_usd: 0, cached_requests: 0 });
  });

  it('a schema-qualified table name creates its schema too', async () => {
    const schema = `ledger_schema_${suffix}`;
    const ledger = open(`${schema}.usage`);
    try {
      await ledger.init();
      await ledger.record(row('u', 3, 0, false));
      expect((await stores.pg.query(`SELECT count(*)::int AS n FROM "${schema}".usage`)).rows[0].n).toBe(1);
    } finally {
      await stores.pg.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  });
});
