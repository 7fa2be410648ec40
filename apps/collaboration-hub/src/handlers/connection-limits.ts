import { SOCKET_EVENTS } from '@mcp/contracts';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { HubServer, HubSocket } from '../socket.types';

export interface ConnectionLimitsOptions {
  /** Exact `Origin` values a browser connection may come from. */
  allowedOrigins: readonly string[];
  maxConnectionsPerAddress: number;
  /** Events per second one connection may send, and its burst. */
  maxEventsPerSecond: number;
  /** False once shutdown started: every new connection is refused. */
  isAccepting: () => boolean;
  logger: Logger;
  /** Clock of the event budget, in ms; default performance.now. */
  now?: () => number;
}

/** Socket.IO's `allowRequest` callback: a refusal's message becomes the body of the handshake's 4xx. */
type AllowRequestCallback = (message: string | null | undefined, success: boolean) => void;

/**
 * What one client may hold of the hub: connections only from allowed page origins and at most
 * `maxConnectionsPerAddress` per address (checked at the handshake, before any connection state
 * exists), and at most `maxEventsPerSecond` events per connection (a token bucket: an event over
 * budget is answered `{ ok: false, error }` and dropped; a connection that keeps sending a whole
 * second's budget while refused is told why and closed).
 *
 * A request without `Origin` is not a browser page (browsers always send it on a WebSocket
 * handshake and on cross-origin requests), so no web page can make its visitors connect here.
 * Addresses are the peer's: behind a proxy every client shares the proxy's.
 */
export class ConnectionLimits {
  private readonly perAddress = new Map<string, number>();
  private readonly now: () => number;
  readonly eventLimitMessage: string;

  constructor(private readonly options: ConnectionLimitsOptions) {
    this.now = options.now ?? (() => performance.now());
    this.eventLimitMessage = `rate limit: at most ${options.maxEventsPerSecond} events per second per connection`;
  }

  /** For `new Server(…, { allowRequest })`. */
  readonly allowRequest = (req: IncomingMessage, callback: AllowRequestCallback): void => {
    const refusal = this.refusalOf(req.headers.origin, req.socket.remoteAddress ?? 'unknown');
    if (refusal !== undefined) this.options.logger.warn({ reason: refusal }, 'socket.io connection refused');
    callback(refusal ?? null, refusal === undefined);
  };

  /** The reason a handshake from `origin` at `address` is refused, or undefined. */
  refusalOf(origin: string | undefined, address: string): string | undefined {
    if (!this.options.isAccepting()) return 'server shutting down';
    if (origin !== undefined && !this.options.allowedOrigins.includes(origin)) return `origin ${origin.slice(0, 200)} is not allowed (SOCKET_CORS_ORIGINS)`;
    if ((this.perAddress.get(address) ?? 0) >= this.options.maxConnectionsPerAddress) {
      return `too many connections from this address: at most ${this.options.maxConnectionsPerAddress}`;
    }
    return undefined;
  }

  /**
   * Counts every engine connection under its address until it closes. Concurrent WebSocket
   * upgrades can all pass `allowRequest` before any is counted; one beyond the bound is closed here.
   */
  track(io: HubServer): void {
    io.engine.on('connection', (connection: { remoteAddress: string; once(event: 'close', listener: () => void): void; close(): void }) => {
      const address = connection.remoteAddress;
      const count = (this.perAddress.get(address) ?? 0) + 1;
      this.perAddress.set(address, count);
      connection.once('close', () => {
        const left = (this.perAddress.get(address) ?? 1) - 1;
        if (left > 0) this.perAddress.set(address, left);
        else this.perAddress.delete(address);
      });
      if (count > this.options.maxConnectionsPerAddress) connection.close();
    });
  }

  /** Bounds the events `socket` may send (a Socket.IO per-socket middleware, before any listener). */
  limitEvents(socket: HubSocket): void {
    const rate = this.options.maxEventsPerSecond;
    let tokens = rate;
    let last = this.now();
    let refusedInARow = 0;
    socket.use((packet, next) => {
      const now = this.now();
      tokens = Math.min(rate, tokens + ((now - last) / 1000) * rate);
      last = now;
      if (tokens >= 1) {
        tokens -= 1;
        refusedInARow = 0;
        next();
        return;
      }
      refusedInARow += 1;
      if (refusedInARow === 1) this.options.logger.warn({ socket_id: socket.id, limit: rate }, 'socket.io event rate limit reached');
      const ack = packet.at(-1);
      if (typeof ack === 'function') {
        try {
          (ack as (response: { ok: false; error: string }) => void)({ ok: false, error: this.eventLimitMessage });
        } catch {
          // a client's broken ack callback is its own problem
        }
      }
      if (refusedInARow > rate) {
        const reason = `${this.eventLimitMessage}: kept sending while refused`;
        this.options.logger.warn({ socket_id: socket.id, limit: rate }, 'socket.io connection closed: event rate limit ignored');
        socket.emit(SOCKET_EVENTS.connectionClosing, { reason });
        socket.disconnect(true);
      }
      // Not calling next(): the event is dropped, no listener runs.
    });
  }
}
