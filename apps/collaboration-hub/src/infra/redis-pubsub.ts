import type { Logger } from 'pino';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import type { ServerOptions } from 'socket.io';

type RedisClient = ReturnType<typeof createClient>;

/** The two Redis connections the Socket.IO Redis adapter needs (a subscriber connection can do nothing else). */
export interface RedisPubSub {
  readonly pub: RedisClient;
  readonly sub: RedisClient;
  /** The adapter factory for `new Server(..., { adapter })`; instances with the same `key` share rooms. */
  adapter(options: { key: string; requestsTimeoutMs: number }): NonNullable<ServerOptions['adapter']>;
  /** Readiness: PING on the publisher, and the subscriber connected. */
  check(): Promise<void>;
  /** Closes both connections, letting queued commands finish for up to `timeoutMs`; never hangs. */
  close(timeoutMs: number): Promise<void>;
}

/**
 * Connects a publisher and a subscriber to `url`. Waits at most `connectTimeoutMs` for them: a Redis
 * that is down at start does not stop the hub (the clients keep reconnecting, commands queue, and
 * `/ready` answers 503 until Redis is back). Errors are logged once per outage, not per retry.
 */
export async function connectRedisPubSub(url: string, logger: Logger, connectTimeoutMs: number): Promise<RedisPubSub> {
  const pub: RedisClient = createClient({ url, socket: { connectTimeout: connectTimeoutMs } });
  const sub: RedisClient = pub.duplicate();

  for (const [role, client] of [
    ['publisher', pub],
    ['subscriber', sub],
  ] as const) {
    let failing = false;
    client.on('error', (error: unknown) => {
      if (failing) return;
      failing = true;
      logger.error({ err: error, redis_client: role }, 'redis connection failed; retrying');
    });
    client.on('ready', () => {
      if (failing) logger.info({ redis_client: role }, 'redis connection restored');
      failing = false;
    });
  }

  const connected = await waitAtMost(Promise.all([pub.connect(), sub.connect()]), connectTimeoutMs);
  if (!connected) logger.error({ timeout_ms: connectTimeoutMs }, 'redis not reachable at start; the hub serves this instance only and is not ready until it is');

  return {
    pub,
    sub,
    adapter: ({ key, requestsTimeoutMs }) => createAdapter(pub, sub, { key, requestsTimeout: requestsTimeoutMs }),
    async check() {
      if (!sub.isReady) throw new Error('subscriber not connected');
      await pub.ping();
    },
    async close(timeoutMs: number) {
      await Promise.all(
        [pub, sub].map(async (client) => {
          if (!client.isOpen) return;
          // close() waits for queued commands, which never complete while Redis is unreachable.
          const closed = await waitAtMost(client.close(), timeoutMs);
          if (!closed && client.isOpen) client.destroy();
        }),
      );
    },
  };
}

/** Resolves `true` when `work` settles within `ms` (its rejection is logged by the client's error handler), else `false`. */
async function waitAtMost(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
        timer.unref();
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
