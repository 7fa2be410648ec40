import { SOCKET_EVENTS, SessionJoinPayload, SessionLeavePayload, SessionMessagePayload } from '@mcp/contracts';
import type { Ack } from '@mcp/contracts';
import { TRACE_CONTEXT_FIELD, extractHandshakeContext, handlerWithContext, injectTraceContext } from '@mcp/mcp-metrics';
import type { Logger } from 'pino';
import type { CollaborationService } from '../services/collaboration.service';
import type { ConnectionLimits } from './connection-limits';
import type { HubServer, HubSocket } from '../socket.types';
import { socketListener, validatePayload } from './socket-event.util';

export interface SessionHandlerDependencies {
  collaboration: CollaborationService;
  logger: Logger;
  /** Bounds the events each connection may send. */
  limits: ConnectionLimits;
  /** Keeps the promise of a disconnect cleanup, so shutdown can wait for the last broadcasts. */
  trackCleanup: (cleanup: Promise<unknown>) => void;
}

/**
 * The session events of every connection: `session:join`, `session:leave`, `session:message`, and the
 * cleanup on disconnect. Each payload is validated with the contracts schema; answers go in the ack.
 */
export function registerSessionHandlers(io: HubServer, deps: SessionHandlerDependencies): void {
  const { collaboration, logger } = deps;

  io.on('connection', (socket: HubSocket) => {
    socket.data.sessions = [];
    deps.limits.limitEvents(socket);
    // The client's handshake context, normalised: the parent of this connection's spans whenever an
    // event comes without its own `_otel`.
    const fallback = injectTraceContext({}, extractHandshakeContext(socket));
    const inConnectionContext = { [TRACE_CONTEXT_FIELD]: fallback };

    handlerWithContext('connection', () => {
      logger.debug({ socket_id: socket.id, transport: socket.conn.transport.name }, 'client connected');
    })(inConnectionContext);

    const listen = (event: string, handle: (payload: unknown) => Ack<object> | Promise<Ack<object>>): void => {
      socket.on(event, socketListener(event, handle, { logger, fallback }));
    };

    listen(SOCKET_EVENTS.sessionJoin, (payload) => {
      const valid = validatePayload(SessionJoinPayload, payload);
      return valid.ok ? collaboration.join(socket, valid.data) : valid;
    });
    listen(SOCKET_EVENTS.sessionLeave, (payload) => {
      const valid = validatePayload(SessionLeavePayload, payload);
      return valid.ok ? collaboration.leave(socket, valid.data) : valid;
    });
    listen(SOCKET_EVENTS.sessionMessage, (payload) => {
      const valid = validatePayload(SessionMessagePayload, payload);
      return valid.ok ? collaboration.message(socket, valid.data) : valid;
    });

    socket.on('disconnect', (reason) => {
      const cleanup = handlerWithContext('disconnect', () => {
        logger.debug({ socket_id: socket.id, reason }, 'client disconnected');
        return collaboration.disconnected(socket);
      })(inConnectionContext);
      deps.trackCleanup(cleanup.catch((error: unknown) => logger.error({ err: error }, 'disconnect cleanup failed')));
    });
  });
}
