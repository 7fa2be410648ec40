import * as grpc from '@grpc/grpc-js';

/** Binds `server` to `host:port` (0 = a free port), insecure (plaintext inside the cluster); resolves with the bound port. */
export function bindServer(server: grpc.Server, host: string, port: number): Promise<number> {
  const address = host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
  return new Promise((resolve, reject) => {
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, boundPort) => (error ? reject(error) : resolve(boundPort)));
  });
}

/**
 * Stops accepting calls and lets in-flight ones finish (`tryShutdown`); after `timeoutMs` cancels
 * whatever is left (`forceShutdown`, the handlers see 'cancelled' and stop). Never hangs.
 */
export function shutdownServer(server: grpc.Server, timeoutMs: number): Promise<'graceful' | 'forced'> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (how: 'graceful' | 'forced'): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(how);
    };
    const timer = setTimeout(() => {
      server.forceShutdown();
      finish('forced');
    }, timeoutMs);
    server.tryShutdown(() => finish('graceful'));
  });
}
