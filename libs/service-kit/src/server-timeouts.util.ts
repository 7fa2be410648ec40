import { createServer, type RequestListener, type Server, type ServerOptions } from 'node:http';
import { env } from './config.util';

/**
 * How long one HTTP/1.1 connection may hold a server's resources, in milliseconds. Node's defaults
 * (headers 60 s, request 300 s, checked every 30 s) let a client that trickles its request hold a
 * socket for minutes; these are the deliberate bounds every MCP HTTP service uses.
 */
export interface HttpServerTimeouts {
  /** The whole header block must have arrived within this (a client trickling headers is cut: 408, then closed). */
  headersTimeoutMs: number;
  /** The whole request, headers and body, must have arrived within this (a trickled body is cut the same way). Not a bound on the handler. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** How often the server checks the two request bounds; a slow client is cut at most this much after its bound. */
  connectionsCheckingIntervalMs: number;
}

/**
 * The variables every HTTP service's config schema spreads in, so each one reads the same names with
 * the same defaults. Keep-alive is 65 s: longer than the common 60 s idle timeout of load balancers
 * in front, so the server never closes a connection the balancer is about to reuse.
 */
export const httpServerTimeoutsEnv = {
  HTTP_HEADERS_TIMEOUT_MS: env.positiveInt(10_000),
  HTTP_REQUEST_TIMEOUT_MS: env.positiveInt(30_000),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: env.positiveInt(65_000),
  HTTP_TIMEOUTS_CHECK_INTERVAL_MS: env.positiveInt(1_000),
};

/** The parsed variables of {@link httpServerTimeoutsEnv} as one object; the headers bound never exceeds the request bound (Node refuses that). */
export function httpServerTimeouts(e: { HTTP_HEADERS_TIMEOUT_MS: number; HTTP_REQUEST_TIMEOUT_MS: number; HTTP_KEEP_ALIVE_TIMEOUT_MS: number; HTTP_TIMEOUTS_CHECK_INTERVAL_MS: number }): HttpServerTimeouts {
  return {
    headersTimeoutMs: Math.min(e.HTTP_HEADERS_TIMEOUT_MS, e.HTTP_REQUEST_TIMEOUT_MS),
    requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    connectionsCheckingIntervalMs: e.HTTP_TIMEOUTS_CHECK_INTERVAL_MS,
  };
}

/** The `node:http` server options for these bounds (also what Fastify takes as its `http` option). */
export function httpServerOptions(timeouts: HttpServerTimeouts): ServerOptions {
  return {
    headersTimeout: timeouts.headersTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    connectionsCheckingInterval: timeouts.connectionsCheckingIntervalMs,
  };
}

/** `http.createServer` with these bounds. */
export function createHttpServer(listener: RequestListener, timeouts: HttpServerTimeouts): Server {
  return createServer(httpServerOptions(timeouts), listener);
}
