import type { Logger } from 'pino';
import type { OutboxFile } from './outbox-file';
import type { UsageLedger, UsageRow, UsageTotals } from './usage-ledger';

export interface LedgerOutboxOptions {
  /** Where pending rows are kept: on disk, so they survive a crash (see outbox-file.ts). */
  file: OutboxFile;
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
 * A bounded, durable outbox in front of a ledger: a row the ledger cannot take now (PostgreSQL down,
 * a timeout) is committed to a local file before `record` returns (so before the answer is sent) and
 * retried, oldest first, with backoff, until the ledger takes it; rows have their own UUID and the
 * insert ignores a row it already has, so a retry after an ambiguous failure, or a replay after a
 * crash between the insert and the file's delete, never counts a request twice. Rows left in the file
 * by a killed process are replayed from `init()`. When the outbox is full, `canAccept()` turns false
 * and the route refuses new requests (503) before any work, so no row is ever dropped. At shutdown
 * `close()` tries once more to write everything, within the shutdown deadline; what is still pending
 * stays in the file for the next start.
 */
export class LedgerOutbox implements UsageLedger {
  readonly backend: UsageLedger['backend'];
  private readonly file: OutboxFile;
  private timer: NodeJS.Timeout | undefined;
  private delay: number;
  private flushing: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly inner: UsageLedger,
    private readonly options: LedgerOutboxOptions,
  ) {
    this.backend = inner.backend;
    this.file = options.file;
    this.delay = options.retryMs;
  }

  /** Rows written to no ledger yet (in the outbox file). */
  get pendingRows(): number {
    return this.file.count();
  }

  /** False while the outbox is full: a new usage row could not be kept, so refuse the request first. */
  canAccept(): boolean {
    return this.pendingRows < this.options.maxRows;
  }

  /** Replays the rows a previous process left in the file (they are retried even if the ledger is down now), then the inner ledger's init. */
  init(): Promise<void> {
    const left = this.pendingRows;
    if (left > 0) {
      this.options.logger.warn({ ledger_backend: this.backend, rows: left, path: this.file.path }, 'usage rows left in the outbox file by an earlier process; replaying them');
      this.options.onPendingChange?.(left);
      this.schedule();
    }
    return this.inner.init();
  }

  async record(row: UsageRow): Promise<void> {
    // Keep the order: while older rows wait, a new one queues behind them.
    if (this.pendingRows === 0) {
      try {
        await this.inner.record(row);
        return;
      } catch (error) {
        this.options.onWriteFailure?.(error);
        this.options.logger.warn({ ledger_backend: this.backend, row_id: row.id, err: { message: error instanceof Error ? error.message : String(error) } }, 'usage row kept in the outbox; retrying');
      }
    }
    if (!this.canAccept()) throw new Error(`ledger outbox full (${this.options.maxRows} rows)`);
    this.file.append(row);
    this.options.onPendingChange?.(this.pendingRows);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || this.closed || this.pendingRows === 0) return;
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
      for (let row = this.file.oldest(); row !== undefined; row = this.file.oldest()) {
        try {
          await this.inner.record(row);
        } catch (error) {
          this.options.onWriteFailure?.(error);
          return;
        }
        // A crash right here replays the row at the next start; the ledger ignores the duplicate id.
        this.file.remove(row.id);
        this.options.onPendingChange?.(this.pendingRows);
      }
      this.options.logger.info({ ledger_backend: this.backend }, 'usage ledger outbox flushed');
    })().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing.then(() => this.pendingRows === 0);
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
    if (this.pendingRows > 0) await this.flush();
    const left = this.pendingRows;
    if (left > 0) this.options.logger.warn({ ledger_backend: this.backend, rows: left, path: this.file.path }, 'usage rows kept in the outbox file for the next start: the ledger stayed unavailable');
    this.file.close();
    await this.inner.close();
  }
}
