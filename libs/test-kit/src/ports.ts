import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A port free right now: the OS hands one out for `host` (127.0.0.1 unless told), it is closed again
 * before this returns, and nothing listens on it. For an address that must refuse connections (a
 * dependency that is down), or for a process whose port must be known before it starts.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
