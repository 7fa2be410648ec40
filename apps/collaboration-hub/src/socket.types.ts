import type { DefaultEventsMap, Server, Socket } from 'socket.io';
import type { JoinedSession } from './services/session-registry.service';

/**
 * What the hub keeps on each connection (`socket.data`). Plain, serialisable data: with the Redis
 * adapter, other instances read it through `fetchSockets()` to list a session's participants.
 */
export interface HubSocketData {
  /** The sessions this connection joined, with the user it joined each as. */
  sessions: JoinedSession[];
}

export type HubServer = Server<DefaultEventsMap, DefaultEventsMap, DefaultEventsMap, HubSocketData>;
export type HubSocket = Socket<DefaultEventsMap, DefaultEventsMap, DefaultEventsMap, HubSocketData>;

/** The Socket.IO room of a session. */
export function roomOf(sessionId: string): string {
  return `session:${sessionId}`;
}
