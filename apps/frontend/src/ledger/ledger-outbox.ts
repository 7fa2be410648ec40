import type { Logger } from 'pino';
import type { UsageLedger, UsageRow, UsageTotals } from './usage-ledger';

export interface LedgerOutboxOptions {
  /** Most rows held while the ledger is down; when full, new work is refused (see `canAccept`). */
  maxRows: number;
  /** First retry delay; doubles up to `maxRetryMs`. */
  retryMs: number;
  maxRetryMs: number;
  logger: Logger;
  /** Called after every change of the number of pending rows (for a metric). */
  onPendingChange?: (pending: number) => void;
  /** Called for each failed write attempt (for a metric). */
  onWriteFailure?: (error: unknown) => void;
}

/**
 * A bounded in-memory outbox in front of a ledger: a row the ledger cannot take now (PostgreSQL down,
 * a timeout) is kept and retried, oldest first, with backoff, until the ledger takes it; rows have
 * their own UUID and the insert ignores a row it already has, so a retry after an ambiguous failure
 * never counts a request twice. When the outbox is full, `canAccept()` turns false and the route
 * refuses new requests (503) before any work, so no row is ever dropped. At shutdown `close()`
 * tries once more to write everything, within the shutdown deadline; a row still pending then is
 * logged one by one (id, trace id) as lost — the only way to lose one is a process that dies with
 * PostgreSQL down, and it is logged.
 */
export class LedgerOutbox implements UsageLedger {
  readonly backend: UsageLedger['backend'];
  private readonly pending: UsageRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private delay: number;
  private flushing: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly inner: UsageLedger,
    private readonly options: LedgerOutboxOptions,
  ) {
    this.backend = inner.backend;
    this.delay = options.retryMs;
  }

  /** Rows written to no ledger yet. */
  get pendingRows(): number {
    return this.pending.length;
  }

  /** False while the outbox is full: a new usage row could not be kept, so refuse the request first. */
  canAccept(): boolean {
    return this.pending.length < this.options.maxRows;
  }

  init(): Promise<void> {
    return this.inner.init();
  }

  async record(row: UsageRow): Promise<void> {
    // Keep the order: while older rows wait, a new one queues behind them.
    if (this.pending.length === 0) {
      try {
        await this.inner.record(row);
        return;
      } catch (error) {
        this.options.onWriteFailure?.(error);
        this.options.logger.warn({ ledger_backend: this.backend, row_id: row.id, err: { message: error instanceof Error ? error.message : String(error) } }, 'usage row kept in the outbox; retrying');
      }
    }
    if (!this.canAccept()) throw new Error(`ledger outbox full (${this.options.maxRows} rows)`);
    this.pending.push(row);
    this.options.onPendingChange?.(this.pending.length);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.closed || this.pending.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush().then((done) => {
        this.delay = done ? this.options.retryMs : Math.min(this.delay * 2, this.options.maxRetryMs);
        this.schedule();
      });
    }, this.delay);
    this.timer.unref();
  }

  /** Writes pending rows oldest first; resolves true when none is left. Never rejects. */
  flush(): Promise<boolean> {
    this.flushing ??= (async () => {
      while (this.pending.length > 0) {
        const row = this.pending[0] as UsageRow;
        try {
          await this.inner.record(row);
        } catch (error) {
          this.options.onWriteFailure?.(error);
          return;
        }
        this.pending.shift();
        this.options.onPendingChange?.(this.pending.length);
      }
      this.options.logger.info({ ledger_backend: this.backend }, 'usage ledger outbox flushed');
    })().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing.then(() => this.pending.length === 0);
  }

  totals(userId: string): Promise<UsageTotals> {
    return this.inner.totals(userId);
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length > 0) await this.flush();
    for (const row of this.pending) this.options.logger.error({ ledger_backend: this.backend, row_id: row.id, trace_id: row.trace_id }, 'usage row lost at shutdown: the ledger stayed unavailable');
    await this.inner.close();
  }
}
