import { randomUUID } from 'node:crypto';
import { createLogger } from '@mcp/service-kit';
import { describe, expect, it } from 'vitest';
import { LedgerOutbox } from '../src/ledger/ledger-outbox';
import { MemoryUsageLedger } from '../src/ledger/memory-usage-ledger';
import type { UsageRow } from '../src/ledger/usage-ledger';

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
    const outbox = new LedgerOutbox(inner, { maxRows: 10, retryMs: 5, maxRetryMs: 20, logger, onPendingChange: (n) => pendingSeen.push(n), onWriteFailure: () => (failures += 1) });
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
    const outbox = new LedgerOutbox(inner, { maxRows: 2, retryMs: 10_000, maxRetryMs: 10_000, logger });
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
    const outbox = new LedgerOutbox(inner, { maxRows: 10, retryMs: 60_000, maxRetryMs: 60_000, logger });
    await outbox.record(row('v'));
    await outbox.record(row('v'));
    inner.down = false;
    await outbox.close();
    expect((await inner.totals('v')).requests).toBe(2);
  });
});
