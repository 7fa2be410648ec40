import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryRunStore } from '../src/services/memory-run-store';
import { MongoRunStore, RUNS_COLLECTION, runDocument } from '../src/services/mongo-run-store';
import { jsonBytes } from '../src/services/run-store';
import { newRun, runStoreContract } from './support/run-store.contract';

describe('MemoryRunStore (the embedded default)', () => {
  runStoreContract(async () => new MemoryRunStore());

  it('keeps at most maxRuns finished runs, dropping the oldest finished ones and their keys, never a running one', async () => {
    const store = new MemoryRunStore({ maxRuns: 2 });
    const running = newRun();
    await store.create(running, { key: 'key-running', requestHash: 'h0' });
    const finished = [];
    for (let i = 0; i < 4; i++) {
      const run = newRun();
      await store.create(run, { key: `key-${i}`, requestHash: `h${i}` });
      await store.finish(run.run_id, { status: 'completed', completed_steps: 2, total_duration_ms: 5, updated_at: new Date().toISOString() });
      finished.push(run);
    }

    expect(store.size).toBe(3);
    expect(await store.get(running.run_id)).toMatchObject({ status: 'running' });
    expect(await store.get(finished[0]!.run_id)).toBeUndefined();
    expect(await store.get(finished[1]!.run_id)).toBeUndefined();
    expect(await store.get(finished[3]!.run_id)).toMatchObject({ status: 'completed' });
    // The evicted run's idempotency key is free again: a new request with it makes a new run.
    const again = newRun();
    expect(await store.create(again, { key: 'key-0', requestHash: 'h0' })).toMatchObject({ created: true });
    expect(await store.create(newRun(), { key: 'key-3', requestHash: 'h3' })).toMatchObject({ created: false, run: { run_id: finished[3]!.run_id } });
  });

  it('keeps finished runs holding at most maxBytes, dropping the oldest finished ones first', async () => {
    const big = { text: 'x'.repeat(10_000) };
    const runBytes = jsonBytes(newRun({ input_data: big, status: 'completed' }));
    const store = new MemoryRunStore({ maxBytes: 3 * runBytes + 100 });
    const runs = [];
    for (let i = 0; i < 5; i++) {
      const run = newRun({ input_data: big });
      await store.create(run);
      await store.finish(run.run_id, { status: 'completed', completed_steps: 2, total_duration_ms: 1, updated_at: run.updated_at });
      runs.push(run);
    }
    expect(store.size).toBe(3);
    expect(store.bytes).toBeLessThanOrEqual(3 * runBytes + 100);
    expect(await store.get(runs[1]!.run_id)).toBeUndefined();
    expect(await store.get(runs[2]!.run_id)).toMatchObject({ status: 'completed' });
  });

  it('drops a finished run (and its key) once older than the retention, never a running one', async () => {
    let now = Date.parse('2030-01-01T00:00:00.000Z');
    const store = new MemoryRunStore({ retentionMs: 60_000 }, () => now);
    const at = new Date(now).toISOString();
    const [finished, running] = [newRun({ created_at: at }), newRun({ created_at: at })];
    await store.create(finished, { key: 'old-key', requestHash: 'h' });
    await store.create(running);
    await store.finish(finished.run_id, { status: 'completed', completed_steps: 2, total_duration_ms: 1, updated_at: at });

    now += 59_000;
    expect(await store.get(finished.run_id)).toMatchObject({ status: 'completed' });
    now += 2_000;
    expect(await store.get(finished.run_id)).toBeUndefined();
    expect(await store.get(running.run_id)).toMatchObject({ status: 'running' });
    expect(await store.create(newRun(), { key: 'old-key', requestHash: 'h' })).toMatchObject({ created: true });
    expect(store.bytes).toBe(0);
  });

  it('rejects every operation once closed', async () => {
    const store = new MemoryRunStore();
    await store.close();
    await expect(store.ping()).rejects.toThrow('run store is closed');
    await expect(store.create(newRun())).rejects.toThrow('run store is closed');
  });
});

// MongoDB cannot run on these machines; with MONGODB_URL (e.g. mongodb://127.0.0.1:27017) these run
// against it, each test run in a database of its own that is dropped afterwards.
const MONGODB_URL = process.env['MONGODB_URL'] ?? '';
if (!MONGODB_URL) {
  console.warn('[workflow-orchestrator] MongoRunStore tests SKIPPED: MONGODB_URL is not set (no MongoDB server on this machine).');
}

describe.skipIf(!MONGODB_URL)('MongoRunStore (official driver; needs MONGODB_URL)', () => {
  const database = `orchestrator_test_${randomUUID().slice(0, 8)}`;
  const open = async () => new MongoRunStore({ url: MONGODB_URL, database, timeoutMs: 5_000, retentionMs: 60_000 });
  /** The test's database through the driver itself: what the store does not show (indexes, stored documents, dropping it). */
  const inDatabase = async <T>(use: (db: Db) => Promise<T>): Promise<T> => {
    const { MongoClient } = await import('mongodb');
    const client = new MongoClient(MONGODB_URL);
    try {
      return await use(client.db(database));
    } finally {
      await client.close();
    }
  };

  afterAll(() => inDatabase((db) => db.dropDatabase()));

  runStoreContract(open);

  it('creates the unique run_id index, the partial unique idempotency_key index and the TTL index on expires_at', async () => {
    const store = await open();
    try {
      await store.ensureIndexes();
      const indexes = await inDatabase((db) => db.collection(RUNS_COLLECTION).indexes());
      expect(indexes).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ key: { run_id: 1 }, unique: true }),
          expect.objectContaining({ key: { idempotency_key: 1 }, unique: true, partialFilterExpression: { idempotency_key: { $type: 'string' } } }),
          expect.objectContaining({ key: { expires_at: 1 }, expireAfterSeconds: 0 }),
        ]),
      );
      const run = newRun();
      await store.create(run);
      const stored = await inDatabase((db) => db.collection(RUNS_COLLECTION).findOne({ run_id: run.run_id }));
      expect(stored?.['expires_at']).toEqual(new Date(Date.parse(run.created_at) + 60_000));
    } finally {
      await store.close();
    }
  });
});

// Needs no server: a MongoDB store without one fails, within its timeout, instead of hanging.
describe('MongoRunStore without a server', () => {
  it('rejects ping and create within its server selection timeout', async () => {
    const store = new MongoRunStore({ url: 'mongodb://127.0.0.1:1/orchestrator_unreachable', timeoutMs: 300, retentionMs: 60_000 });
    try {
      await expect(store.ping()).rejects.toThrow(/ECONNREFUSED|Server selection timed out|connect/i);
      await expect(store.create(newRun())).rejects.toThrow();
    } finally {
      await store.close();
    }
  });
});

// Needs no server: what the TTL index works on. A TTL index deletes only documents whose field is a
// BSON date (a string never expires), so the expiry must be a Date, the created_at plus the retention.
describe('runDocument (what MongoDB stores)', () => {
  it('carries the expiry as a Date, created_at plus the retention, and the claim', () => {
    const run = newRun({ created_at: '2030-01-01T00:00:00.000Z' });
    const document = runDocument(run, { key: 'k', requestHash: 'h' }, 7 * 24 * 3600 * 1000);
    expect(document.expires_at).toBeInstanceOf(Date);
    expect(document.expires_at.toISOString()).toBe('2030-01-08T00:00:00.000Z');
    expect(document).toMatchObject({ ...run, idempotency_key: 'k', request_hash: 'h' });
  });
});
