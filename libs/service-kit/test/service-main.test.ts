import { spawn } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import { resolve } from 'node:path';
import { onShutdown, runShutdown } from '@mcp/otel-bootstrap';
import { describe, expect, it } from 'vitest';
import { httpListener, listen, runService } from '../src/index';

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => done({ status: res.statusCode ?? 0, body }));
    })
      .on('error', fail)
      .end();
  });
}

function runFixture(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [resolve(__dirname, 'fixtures', 'failing-service.cjs'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((done) => child.on('exit', (code) => done({ code, stderr })));
}

describe('runService', () => {
  it('listens, and on shutdown drains the in-flight request before closing the clients in their order', async () => {
    const events: string[] = [];
    let requestArrived: () => void = () => undefined;
    const arrived = new Promise<void>((r) => (requestArrived = r));
    let release: () => void = () => undefined;
    const server = createServer((_req, res) => {
      release = () => res.end('slow done');
      requestArrived();
    });
    const http = httpListener(server);
    const port = await runService(
      {
        name: 'fixture',
        loadConfig: () => ({ port: 0 }),
        settings: (config) => ({ logLevel: 'silent', port: config.port, host: '127.0.0.1', drainTimeoutMs: 10_000 }),
        build: async () => ({
          listener: { listen: http.listen, drain: (ms) => http.drain(ms).then(() => events.push('drained')) },
          closeAfterDrain: {
            'model-router client': () => events.push('closed model-router client'),
            cache: async () => events.push('closed cache'),
          },
        }),
      },
      onShutdown,
    );
    expect(port).toBeGreaterThan(0);

    const slow = get(port, '/slow');
    await arrived;
    // The ordered shutdown SIGTERM runs (the preload's signal handler calls the same function).
    const shutdown = runShutdown('SIGTERM');
    while (server.listening) await new Promise((r) => setTimeout(r, 5));
    await expect(get(port, '/after')).rejects.toThrow(/ECONNREFUSED/);
    expect(events).toEqual([]);
    release();
    expect(await slow).toEqual({ status: 200, body: 'slow done' });
    expect(await shutdown).toBe(true);
    expect(events).toEqual(['drained', 'closed model-router client', 'closed cache']);
  });

  it('a build that fails prints why and exits 1, though a client is still open', async () => {
    const { code, stderr } = await runFixture(['build']);
    expect(stderr).toContain('failing-fixture failed to start: Error: the database said no');
    expect(code).toBe(1);
  });

  it('a port already taken prints EADDRINUSE and exits 1', async () => {
    const taken: Server = createServer();
    const port = await listen(taken, 0, '127.0.0.1');
    try {
      const { code, stderr } = await runFixture(['port', String(port)]);
      expect(stderr).toMatch(/failing-fixture failed to start: Error: listen EADDRINUSE/);
      expect(code).toBe(1);
    } finally {
      taken.close();
    }
  });
});
