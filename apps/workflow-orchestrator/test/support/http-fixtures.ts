// Real HTTP servers on 127.0.0.1 (port 0) standing in for the outside world of the orchestrator:
// an external JSON API for external_api steps, and a recorder of the collaboration-hub's internal
// progress endpoint.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface TestServer {
  readonly url: string;
  readonly port: number;
  /** `127.0.0.1:<port>`, as EXTERNAL_API_ALLOWLIST takes it. */
  readonly host: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

type Handler = (request: RecordedRequest, res: ServerResponse) => void;

async function startServer(handler: Handler): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(recorded);
      handler(recorded, res);
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    host: `127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        // Requests left hanging on purpose must not keep close() waiting.
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const json = (res: ServerResponse, status: number, body: unknown): void => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

/**
 * The external API:
 * - `GET /weather` → `{ city: 'Oslo', temperature_c: 21 }`
 * - `POST /echo` → `{ received: <the JSON body> }`
 * - `GET /slow?ms=N` → JSON after N ms
 * - `GET /html` → an HTML page; `GET /big` → 300 KB of JSON (chunked, no content-length);
 *   `GET /big-declared` → content-length over 256 KB; `GET /fail` → 500
 * - `GET /redirect-inside` → 302 to `/weather`; `GET /redirect-outside?to=URL` → 302 to URL
 */
export function startExternalApi(): Promise<TestServer> {
  return startServer((request, res) => {
    const url = new URL(request.path, 'http://x');
    switch (url.pathname) {
      case '/weather':
        return json(res, 200, { city: 'Oslo', temperature_c: 21 });
      case '/echo':
        return json(res, 200, { received: JSON.parse(request.body || 'null') as unknown });
      case '/slow': {
        const timer = setTimeout(() => json(res, 200, { slow: true }), Number(url.searchParams.get('ms') ?? 1000));
        res.on('close', () => clearTimeout(timer));
        return;
      }
      case '/html':
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end('<html><body>not json</body></html>');
      case '/big':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"items":[');
        for (let i = 0; i < 3000; i += 1) res.write(`${i ? ',' : ''}"${'x'.repeat(96)}"`);
        return res.end(']}');
      case '/big-declared':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(300 * 1024) });
        return res.end('{}'.padEnd(300 * 1024, ' '));
      case '/fail':
        return json(res, 500, { error: 'boom' });
      case '/redirect-inside':
        res.writeHead(302, { location: '/weather' });
        return res.end();
      case '/redirect-outside':
        res.writeHead(302, { location: url.searchParams.get('to') ?? 'http://example.invalid/' });
        return res.end();
      default:
        return json(res, 404, { error: 'no such fixture path' });
    }
  });
}

export interface HubRecorder extends TestServer {
  /** What the hub answers: 202 (default), another status, or never. */
  mode: 'accept' | 'reject' | 'hang';
  /** Bodies of the events received, parsed, in arrival order. */
  events(): unknown[];
}

/** The collaboration-hub's `POST /internal/sessions/:id/events`, recorded. */
export async function startHubRecorder(): Promise<HubRecorder> {
  const state: { mode: HubRecorder['mode'] } = { mode: 'accept' };
  const server = await startServer((_request, res) => {
    if (state.mode === 'hang') return;
    if (state.mode === 'reject') return json(res, 500, { error: 'hub broken' });
    res.writeHead(202).end();
  });
  const recorder = server as HubRecorder;
  Object.defineProperty(recorder, 'mode', {
    get: () => state.mode,
    set: (mode: HubRecorder['mode']) => {
      state.mode = mode;
    },
  });
  recorder.events = () => server.requests.filter((r) => r.method === 'POST').map((r) => JSON.parse(r.body) as unknown);
  return recorder;
}
