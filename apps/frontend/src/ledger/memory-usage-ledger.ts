import type { UsageLedger, UsageRow, UsageTotals } from './usage-ledger';

/**
 * The embedded ledger used when `DATABASE_URL` is unset. It keeps per-user totals (bounded by the
 * number of users) and the most recent rows (bounded by `maxRows`) for inspection.
 */
export class MemoryUsageLedger implements UsageLedger {
  readonly backend = 'memory' as const;
  private readonly byUser = new Map<string, UsageTotals>();
  private readonly recent: UsageRow[] = [];

  constructor(private readonly maxRows = 10_000) {}

  init(): Promise<void> {
    return Promise.resolve();
  }

  record(row: UsageRow): Promise<void> {
    this.recent.push(row);
    if (this.recent.length > this.maxRows) this.recent.splice(0, this.recent.length - this.maxRows);
    if (row.user_id !== null) {
      const totals = this.byUser.get(row.user_id) ?? { user_id: row.user_id, requests: 0, tokens: 0, cost_usd: 0, cached_requests: 0 };
      totals.requests += 1;
      totals.tokens += row.tokens_used;
      totals.cost_usd += row.cost_usd;
      if (row.cached) totals.cached_requests += 1;
      this.byUser.set(row.user_id, totals);
    }
    return Promise.resolve();
  }

  totals(userId: string): Promise<UsageTotals> {
    const totals = this.byUser.get(userId);
    return Promise.resolve(totals ? { ...totals } : { user_id: userId, requests: 0, tokens: 0, cost_usd: 0, cached_requests: 0 });
  }

  /** The most recent rows, oldest first. */
  rows(): readonly UsageRow[] {
    return [...this.recent];
  }

  ping(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
