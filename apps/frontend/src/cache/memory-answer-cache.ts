import type { AnswerCache } from './answer-cache';

interface Entry {
  value: string;
  expiresAt: number;
}

/**
 * The embedded cache used when `REDIS_URL` is unset: an LRU of at most `maxEntries` entries, each
 * with its TTL. A Map keeps insertion order, so re-inserting on read makes the first key the least
 * recently used one.
 */
export class MemoryAnswerCache implements AnswerCache {
  readonly backend = 'memory' as const;
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): Promise<string | null> {
    const entry = this.entries.get(key);
    if (!entry) return Promise.resolve(null);
    this.entries.delete(key);
    if (entry.expiresAt <= this.now()) return Promise.resolve(null);
    this.entries.set(key, entry);
    return Promise.resolve(entry.value);
  }

  set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + ttlSeconds * 1000 });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
    return Promise.resolve();
  }

  get size(): number {
    return this.entries.size;
  }

  ping(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.entries.clear();
    return Promise.resolve();
  }
}
