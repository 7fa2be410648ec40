import { createHash } from 'node:crypto';

/**
 * Where model answers are cached: Redis when `REDIS_URL` is set, else an in-process LRU. Every call
 * either settles quickly or rejects: callers treat a rejection as "no cache" and go on.
 */
export interface AnswerCache {
  /** `redis` or `memory`, for logs and metric attributes. */
  readonly backend: 'redis' | 'memory';
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** Resolves when the cache answers (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * `<prefix>route:v1:<sha256(model_type + '\0' + prompt)>`: the NUL separator keeps ("ab", "c") and
 * ("a", "bc") apart; the hash keeps prompts out of Redis keys (and so out of Redis spans).
 */
export function routeCacheKey(prefix: string, modelType: string, prompt: string): string {
  const digest = createHash('sha256').update(modelType, 'utf8').update('\0', 'utf8').update(prompt, 'utf8').digest('hex');
  return `${prefix}route:v1:${digest}`;
}
