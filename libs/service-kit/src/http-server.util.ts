import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

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
