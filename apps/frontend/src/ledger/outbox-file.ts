import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { UsageRow } from './usage-ledger';

/** A stored row: JSON of the UsageRow, `created_at` as an ISO string. */
interface StoredRow {
  body: string;
}

/**
 * The ledger outbox's rows on disk: one SQLite file (`node:sqlite`, built into Node 24), so a row kept
 * while PostgreSQL is down survives a SIGKILL and is replayed at the next start. Every write is a
 * committed transaction with `synchronous = FULL` before the call returns, so a row `append` accepted
 * is on disk before the answer it pays for is sent. Calls are synchronous (a local fsync, only while
 * the ledger is failing). Several processes may share one file if they write to the same ledger table:
 * SQLite locks it, and the ledger's insert ignores an id it already has.
 */
export class OutboxFile {
  private readonly db: DatabaseSync;
  private readonly insert: StatementSync;
  private readonly selectOldest: StatementSync;
  private readonly deleteById: StatementSync;
  private readonly countRows: StatementSync;

  /** Opens (creating it and its directory if needed) the file at `path`; throws if it cannot be written. */
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.db = new DatabaseSync(path);
    // WAL: readers and the writer do not block each other; FULL: a commit is on disk, not only in the OS cache.
    this.db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 2000;');
    this.db.exec('CREATE TABLE IF NOT EXISTS pending_usage (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, body TEXT NOT NULL)');
    this.insert = this.db.prepare('INSERT INTO pending_usage (id, body) VALUES (?, ?) ON CONFLICT (id) DO NOTHING');
    this.selectOldest = this.db.prepare('SELECT body FROM pending_usage ORDER BY seq LIMIT 1');
    this.deleteById = this.db.prepare('DELETE FROM pending_usage WHERE id = ?');
    this.countRows = this.db.prepare('SELECT count(*) AS n FROM pending_usage');
  }

  append(row: UsageRow): void {
    this.insert.run(row.id, JSON.stringify(row));
  }

  /** The row kept longest, or undefined when none is. */
  oldest(): UsageRow | undefined {
    const stored = this.selectOldest.get() as StoredRow | undefined;
    if (stored === undefined) return undefined;
    const row = JSON.parse(stored.body) as Omit<UsageRow, 'created_at'> & { created_at: string };
    return { ...row, created_at: new Date(row.created_at) };
  }

  remove(id: string): void {
    this.deleteById.run(id);
  }

  count(): number {
    return Number((this.countRows.get() as { n: number | bigint }).n);
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}
