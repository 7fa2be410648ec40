import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { boundUnreadBodies } from './request-body.util';
import type { Listener } from './service-main.util';

/**
 * Listens on `port` (0 for any) and resolves with the bound port; rejects on EADDRINUSE & co.
 */
export function listen(server: Server, port: number, host = '0.0.0.0'): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/**
 * Drains an HTTP server: stops accepting, lets in-flight requests finish (answering them with
 * `Connection: close`), closes idle keep-alive connections at once, and after `timeoutMs` destroys
 * whatever is left. Resolves when the server is closed; never hangs.
 */
export function createDrainer(server: Server): { drain(timeoutMs: number): Promise<void>; readonly draining: boolean } {
  const active = new Map<Socket, number>();
  const inFlight = new Set<ServerResponse>();
  let draining = false;
  server.on('connection', (socket: Socket) => {
    active.set(socket, 0);
    socket.once('close', () => active.delete(socket));
  });
  server.on('request', (req, res) => {
    const socket = req.socket;
    active.set(socket, (active.get(socket) ?? 0) + 1);
    if (draining && !res.headersSent) res.setHeader('connection', 'close');
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
    res.once('finish', () => {
      const left = (active.get(socket) ?? 1) - 1;
      active.set(socket, left);
      if (draining && left === 0) socket.destroySoon();
    });
  });
  return {
    get draining() {
      return draining;
    },
    drain(timeoutMs: number) {
      draining = true;
      // Requests already being handled answer with Connection: close, so clients do not reuse a socket that is going away.
      for (const res of inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          for (const socket of active.keys()) socket.destroy();
        }, timeoutMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        for (const [socket, inFlight] of active) if (inFlight === 0) socket.destroySoon();
      });
    },
  };
}

/** A `node:http` server as a service's {@link Listener}: {@link listen}, and {@link createDrainer}'s drain; unread bodies bounded ({@link boundUnreadBodies}). */
export function httpListener(server: Server): Listener {
  const drainer = createDrainer(server);
  boundUnreadBodies(server);
  return { listen: (port, host) => listen(server, port, host), drain: (timeoutMs) => drainer.drain(timeoutMs) };
}

/** A framework that owns its `node:http` server and closes it itself, as Fastify does. */
export interface ServerOwningApp {
  listen(options: { port: number; host: string }): Promise<unknown>;
  /** Stops accepting and resolves once in-flight requests finished (and the app's onClose work ran). */
  close(): Promise<unknown>;
  readonly server: Server;
}

/**
 * Such a framework app as a {@link Listener}: its own close() drains, bounded by `timeoutMs`;
 * connections still open at the deadline are cut. Unread bodies are bounded ({@link boundUnreadBodies}).
 */
export function serverOwningListener(app: ServerOwningApp): Listener {
  boundUnreadBodies(app.server);
  return {
    async listen(port, host) {
      await app.listen({ port, host });
      const address = app.server.address();
      return typeof address === 'object' && address ? address.port : port;
    },
    async drain(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      });
      await Promise.race([app.close(), deadline]);
      clearTimeout(timer);
      app.server.closeAllConnections();
    },
  };
}
