import { Pool, escapeIdentifier } from 'pg';
import type { Logger } from 'pino';
import type { UsageLedger, UsageRow, UsageTotals } from './usage-ledger';

export interface PgUsageLedgerOptions {
  connectionString: string;
  /** `usage_ledger` or `schema.table`; validated by the config schema (it is interpolated as an identifier). */
  table: string;
  /** Bound on every query, client and server side. */
  queryTimeoutMs: number;
  poolMax: number;
  logger: Logger;
}

/**
 * The PostgreSQL ledger. Values are always bind parameters; the table name, which cannot be one, comes
 * from validated config and is quoted. The schema is created at start; if PostgreSQL is down then,
 * the next call tries again instead of the process failing to start.
 */
export class PgUsageLedger implements UsageLedger {
  readonly backend = 'postgres' as const;
  readonly pool: Pool;
  private readonly table: string;
  private readonly tableName: string;
  private readonly schemaName: string | undefined;
  private readonly logger: Logger;
  private schemaReady: Promise<void> | undefined;

  constructor(options: PgUsageLedgerOptions) {
    this.logger = options.logger;
    const parts = options.table.split('.');
    this.tableName = parts[parts.length - 1] ?? options.table;
    this.schemaName = parts.length === 2 ? parts[0] : undefined;
    this.table = parts.map((part) => escapeIdentifier(part)).join('.');
    this.pool = new Pool({
      connectionString: options.connectionString,
      max: options.poolMax,
      connectionTimeoutMillis: Math.min(options.queryTimeoutMs, 2_000),
      idleTimeoutMillis: 30_000,
      query_timeout: options.queryTimeoutMs,
      statement_timeout: options.queryTimeoutMs,
      application_name: 'frontend',
    });
    // An idle client losing its connection emits here; unhandled, it would crash the process.
    this.pool.on('error', (error) => this.logger.warn({ err: { message: error.message } }, 'postgres idle client error'));
  }

  init(): Promise<void> {
    this.schemaReady ??= this.createSchema().catch((error: unknown) => {
      this.schemaReady = undefined;
      throw error;
    });
    return this.schemaReady;
  }

  private async createSchema(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // CREATE ... IF NOT EXISTS is not safe against itself: two instances starting together can both
      // pass the check and one fails on the catalog's unique index. A transaction-scoped advisory lock
      // on the table's name serialises them.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`mcp.frontend.ledger:${this.table}`]);
      if (this.schemaName !== undefined) await client.query(`CREATE SCHEMA IF NOT EXISTS ${escapeIdentifier(this.schemaName)}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.table} (
        id uuid PRIMARY KEY,
        user_id text,
        model_type text NOT NULL,
        prompt_tokens integer NOT NULL CHECK (prompt_tokens >= 0),
        completion_tokens integer NOT NULL CHECK (completion_tokens >= 0),
        tokens_used integer NOT NULL CHECK (tokens_used >= 0),
        cost_usd numeric(18, 8) NOT NULL CHECK (cost_usd >= 0),
        cached boolean NOT NULL,
        trace_id text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
      await client.query(`CREATE INDEX IF NOT EXISTS ${escapeIdentifier(`${this.tableName}_user_id_idx`)} ON ${this.table} (user_id)`);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Idempotent: a row whose id is already there (a retry after an ambiguous failure) is not counted twice. */
  async record(row: UsageRow): Promise<void> {
    await this.init();
    await this.pool.query(
      `INSERT INTO ${this.table} (id, user_id, model_type, prompt_tokens, completion_tokens, tokens_used, cost_usd, cached, trace_id, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (id) DO NOTHING`,
      [row.id, row.user_id, row.model_type, row.prompt_tokens, row.completion_tokens, row.tokens_used, row.cost_usd, row.cached, row.trace_id, row.created_at],
    );
  }

  async totals(userId: string): Promise<UsageTotals> {
    await this.init();
    const { rows } = await this.pool.query<{ requests: number; tokens: string; cost_usd: number; cached_requests: number }>(
      `SELECT count(*)::int AS requests,
              coalesce(sum(tokens_used), 0)::bigint AS tokens,
              coalesce(sum(cost_usd), 0)::float8 AS cost_usd,
              (count(*) FILTER (WHERE cached))::int AS cached_requests
         FROM ${this.table} WHERE user_id = $1`,
      [userId],
    );
    const totals = rows[0];
    return {
      user_id: userId,
      requests: totals?.requests ?? 0,
      tokens: Number(totals?.tokens ?? 0),
      cost_usd: totals?.cost_usd ?? 0,
      cached_requests: totals?.cached_requests ?? 0,
    };
  }

  async ping(): Promise<void> {
    await this.init();
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
