/** One served `/api/route` (or GraphQL `route`) request, as written to the ledger. */
export interface UsageRow {
  /** Our own id (UUID v4). */
  id: string;
  /** The caller's `user_id`, or null for anonymous requests. Stored here only, never on telemetry. */
  user_id: string | null;
  model_type: string;
  prompt_tokens: number;
  completion_tokens: number;
  /** Tokens of the answer served (for a cache hit: of the cached answer). */
  tokens_used: number;
  /** What this request cost: the model's price on a miss, 0 on a cache hit (no model ran). */
  cost_usd: number;
  cached: boolean;
  /** W3C trace id of the request, to find it in the tracing backend; null when untraced. */
  trace_id: string | null;
  created_at: Date;
}

/** A user's totals over the ledger. */
export interface UsageTotals {
  user_id: string;
  requests: number;
  tokens: number;
  cost_usd: number;
  cached_requests: number;
}

/**
 * The usage ledger: PostgreSQL when `DATABASE_URL` is set, else in process memory (lost on restart).
 */
export interface UsageLedger {
  readonly backend: 'postgres' | 'memory';
  /** Creates the schema if needed; idempotent and safe when several instances start at once. */
  init(): Promise<void>;
  record(row: UsageRow): Promise<void>;
  /** False when a new row could not be kept (the outbox in front of PostgreSQL is full): refuse the request before any work. */
  canAccept?(): boolean;
  totals(userId: string): Promise<UsageTotals>;
  /** Resolves when the ledger answers (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
