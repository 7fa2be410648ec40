import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@mcp/service-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { LedgerOutbox } from '../src/ledger/ledger-outbox';
import { MemoryUsageLedger } from '../src/ledger/memory-usage-ledger';
import { OutboxFile } from '../src/ledger/outbox-file';
import type { UsageRow } from '../src/ledger/usage-ledger';

const dir = mkdtempSync(join(tmpdir(), 'ledger-outbox-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const newFile = (name = randomUUID()): OutboxFile => new OutboxFile(join(dir, `${name}.sqlite`));

const logger = createLogger('outbox-test', 'silent');
const row = (user: string): UsageRow => ({
  id: randomUUID(),
  user_id: user,
  model_type: 'stub-small',
  prompt_tokens: 3,
  completion_tokens: 2,
  tokens_used: 5,
  cost_usd: 0.01,
  cached: false,
  trace_id: null,
  created_at: new Date(),
});

/** A ledger that fails while `down` is true. */
class FlakyLedger extends MemoryUsageLedger {
  down = false;
  attempts = 0;
  override record(r: UsageRow): Promise<void> {
    this.attempts += 1;
    return this.down ? Promise.reject(new Error('connect ECONNREFUSED')) : super.record(r);
  }
}

describe('ledger outbox', () => {
  it('keeps rows while the ledger is down and writes them, in order, once it is back', async () => {
    const inner = new FlakyLedger();
    const pendingSeen: number[] = [];
    let failures = 0;
    const outbox = new LedgerOutbox(inner, { file: newFile(), maxRows: 10, retryMs: 5, maxRetryMs: 20, logger, onPendingChange: (n) => pendingSeen.push(n), onWriteFailure: () => (failures += 1) });
    inner.down = true;
    for (let i = 0; i < 5; i += 1) await outbox.record(row('u'));
    expect(outbox.pendingRows).toBe(5);
    expect(failures).toBeGreaterThanOrEqual(1);
    inner.down = false;
    for (let i = 0; i < 200 && outbox.pendingRows > 0; i += 1) await new Promise((r) => setTimeout(r, 5));
    expect(outbox.pendingRows).toBe(0);
    expect((await inner.totals('u')).requests).toBe(5);
    expect(pendingSeen.at(-1)).toBe(0);
    await outbox.close();
  });

  it('refuses once full (canAccept false, record rejects) instead of dropping a row', async () => {
    const inner = new FlakyLedger();
    inner.down = true;
    const outbox = new LedgerOutbox(inner, { file: newFile(), maxRows: 2, retryMs: 10_000, maxRetryMs: 10_000, logger });
    await outbox.record(row('u'));
    await outbox.record(row('u'));
    expect(outbox.canAccept()).toBe(false);
    await expect(outbox.record(row('u'))).rejects.toThrow(/full/);
    expect(outbox.pendingRows).toBe(2);
    await outbox.close();
  });

  it('flushes pending rows at close when the ledger is back', async () => {
    const inner = new FlakyLedger();
    inner.down = true;
    const outbox = new LedgerOutbox(inner, { file: newFile(), maxRows: 10, retryMs: 60_000, maxRetryMs: 60_000, logger });
    await outbox.record(row('v'));
    await outbox.record(row('v'));
    inner.down = false;
    await outbox.close();
    expect((await inner.totals('v')).requests).toBe(2);
  });

  it('keeps pending rows on disk: a process that dies without close leaves them to the next one, which writes each once', async () => {
    const name = randomUUID();
    const inner = new FlakyLedger();
    inner.down = true;
    const first = new LedgerOutbox(inner, { file: newFile(name), maxRows: 10, retryMs: 60_000, maxRetryMs: 60_000, logger });
    const kept = [row('w'), row('w'), row('w')];
    for (const r of kept) await first.record(r);
    // No close(): as after a SIGKILL, only the file is left.
    const after = new MemoryUsageLedger();
    const second = new LedgerOutbox(after, { file: newFile(name), maxRows: 10, retryMs: 5, maxRetryMs: 20, logger });
    expect(second.pendingRows).toBe(3);
    await second.init();
    for (let i = 0; i < 200 && second.pendingRows > 0; i += 1) await new Promise((r) => setTimeout(r, 5));
    expect(second.pendingRows).toBe(0);
    expect(after.rows().map((r) => r.id)).toEqual(kept.map((r) => r.id));
    expect(after.rows()[0]?.created_at).toEqual(kept[0]?.created_at);
    await second.close();
  });

  it('counts a row id once in the file however often it is appended (a retried append stays one row)', () => {
    const file = newFile();
    const r = row('x');
    file.append(r);
    file.append(r);
    expect(file.count()).toBe(1);
    file.close();
  });
});
