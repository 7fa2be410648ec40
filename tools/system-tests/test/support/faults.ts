import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as net from 'node:net';
import { freePort } from '@mcp/test-kit';

/** A fresh W3C trace id and a `traceparent` that makes it the parent of whatever the service does. */
export function newTrace(): { traceId: string; traceparent: string } {
  const traceId = randomBytes(16).toString('hex');
  return { traceId, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** Outcome of one request: an answer, or the socket error before any answer (code such as ECONNREFUSED). */
export type Outcome = { ok: true; response: RawResponse } | { ok: false; code: string };

/**
 * One HTTP request on a connection of its own (no keep-alive pool): a refused connection is then
 * unambiguously "not accepted", and nothing is retried behind the test's back.
 */
export function request(url: string, options: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false, timeout: options.timeoutMs ?? 30_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ ok: true, response: { status: res.statusCode ?? 0, headers: res.headers, text } }));
      res.on('error', (error: NodeJS.ErrnoException) => resolve({ ok: false, code: error.code ?? error.message }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('client timeout'), { code: 'CLIENT_TIMEOUT' })));
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ ok: false, code: error.code ?? error.message }));
    req.end(options.body);
  });
}

export function postJsonRaw(url: string, body: unknown, headers: Record<string, string> = {}, timeoutMs?: number): Promise<Outcome> {
  return request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), timeoutMs });
}

/**
 * A TCP proxy on 127.0.0.1 to `target`, that a test can cut (every connection destroyed, new ones
 * refused: the port stops listening) and restore (listening again on the same port).
 */
export interface TcpProxy {
  readonly port: number;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** A {@link startTcpProxy} in front of the server of `url` (e.g. the machine's PostgreSQL), and the same URL through it. */
export async function proxyInFrontOf(url: string): Promise<{ proxy: TcpProxy; urlViaProxy: string }> {
  const target = new URL(url);
  const proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
  const viaProxy = new URL(url);
  viaProxy.port = String(proxy.port);
  return { proxy, urlViaProxy: viaProxy.toString() };
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  const listen = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      const s = net.createServer((client) => {
        const upstream = net.connect(targetPort, targetHost);
        sockets.add(client);
        sockets.add(upstream);
        const drop = (): void => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        client.pipe(upstream).pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        server = s;
        resolve((s.address() as net.AddressInfo).port);
      });
    });
  const port = await listen(0);
  const cut = async (): Promise<void> => {
    const s = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  return {
    port,
    cut,
    async restore() {
      if (!server) await listen(port);
    },
    close: cut,
  };
}

/** A `redis-server` child of the test on its own port (no persistence), that the test can stop and start again. */
export interface RedisChild {
  readonly port: number;
  readonly url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function redisChild(options: { password?: string } = {}): Promise<RedisChild> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const ping = (): Promise<boolean> =>
    new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.setTimeout(500);
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        // With requirepass, an unauthenticated PING answers NOAUTH: the server is up all the same.
        resolve(data.toString().startsWith('+PONG') || data.toString().startsWith('-NOAUTH'));
      });
      socket.once('error', () => resolve(false));
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
    });
  return {
    port,
    url: options.password ? `redis://:${encodeURIComponent(options.password)}@127.0.0.1:${port}` : `redis://127.0.0.1:${port}`,
    async start() {
      if (child) return;
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', ...(options.password ? ['--requirepass', options.password] : [])], { stdio: 'ignore' });
      for (let i = 0; i < 100; i += 1) {
        if (await ping()) return;
        await sleep(50);
      }
      throw new Error(`redis-server on ${port} did not answer PING`);
    },
    async stop() {
      const c = child;
      child = undefined;
      if (!c || c.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill('SIGKILL');
      });
    },
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every `everyMs` until it returns a value other than undefined, at most `attempts` times. */
export async function pollUntil<T>(check: () => Promise<T | undefined> | T | undefined, attempts = 100, everyMs = 100): Promise<T | undefined> {
  for (let i = 0; i < attempts; i += 1) {
    const value = await check();
    if (value !== undefined) return value;
    await sleep(everyMs);
  }
  return undefined;
}
