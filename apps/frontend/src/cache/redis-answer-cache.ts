import { createClient } from 'redis';
import type { Logger } from 'pino';
import type { AnswerCache } from './answer-cache';

export interface RedisAnswerCacheOptions {
  url: string;
  /** Bound on every command, so a hung Redis costs a request at most this long. */
  commandTimeoutMs: number;
  logger: Logger;
}

/** Reconnect backoff: 100 ms doubling to 5 s, forever (Redis may come back; requests bypass it meanwhile). */
export function redisReconnectDelay(retries: number): number {
  return Math.min(100 * 2 ** Math.min(retries, 10), 5_000);
}

/**
 * The Redis cache. Commands fail fast while Redis is down (no offline queue: a request must not wait
 * for a reconnect) and are bounded by a timeout while it is slow; callers bypass the cache on either.
 */
function createRedisClient(options: RedisAnswerCacheOptions) {
  return createClient({
    url: options.url,
    disableOfflineQueue: true,
    commandOptions: { timeout: options.commandTimeoutMs },
    socket: {
      connectTimeout: Math.max(options.commandTimeoutMs, 1_000),
      reconnectStrategy: (retries: number) => redisReconnectDelay(retries),
    },
  });
}

export class RedisAnswerCache implements AnswerCache {
  readonly backend = 'redis' as const;
  private readonly client: ReturnType<typeof createRedisClient>;
  private readonly logger: Logger;
  private connected = false;
  private failing = false;

  constructor(options: RedisAnswerCacheOptions) {
    this.logger = options.logger;
    this.client = createRedisClient(options);
    // Without an 'error' listener node-redis would throw on every failed reconnect. Log once per outage.
    this.client.on('error', (error: Error) => {
      if (this.failing) return;
      this.failing = true;
      this.logger.error({ err: { message: error.message, code: (error as NodeJS.ErrnoException).code } }, 'redis unavailable; answering without the cache until it is back');
    });
    this.client.on('ready', () => {
      if (this.failing) this.logger.info('redis available again');
      this.failing = false;
    });
  }

  /**
   * Starts connecting and waits until Redis is ready or `waitMs` passed, so that the first requests
   * find the cache; never rejects (the service serves without Redis and keeps reconnecting).
   */
  async connect(waitMs: number): Promise<void> {
    if (this.connected) return;
    this.connected = true;
    let timer: NodeJS.Timeout | undefined;
    const ready = new Promise<void>((resolve) => {
      this.client.once('ready', () => resolve());
      timer = setTimeout(resolve, waitMs);
      timer.unref();
    });
    this.client.connect().catch((error: unknown) => {
      this.logger.error({ err: { message: error instanceof Error ? error.message : String(error) } }, 'redis connect failed');
    });
    await ready;
    clearTimeout(timer);
  }

  async get(key: string): Promise<string | null> {
    return this.client.get(key);
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.client.set(key, value, { expiration: { type: 'EX', value: ttlSeconds } });
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  /** QUIT when connected (pending commands finish), otherwise stop reconnecting at once. */
  async close(): Promise<void> {
    if (!this.client.isOpen) return;
    if (this.client.isReady) await this.client.close();
    else this.client.destroy();
  }
}
