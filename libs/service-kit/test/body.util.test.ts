import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBodyCapped } from '../src/index';

// A real HTTP server: /small answers 10 bytes, /declared declares 1 MB, /endless streams chunks
// until the client goes away (counting what it managed to write).
let server: Server;
let base = '';
let endlessBytesWritten = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/small') return void res.end('0123456789');
    if (req.url === '/declared') return void res.writeHead(200, { 'content-length': String(1024 * 1024) }).end('x'.repeat(1024 * 1024));
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const chunk = Buffer.alloc(16 * 1024, 'y');
    const timer = setInterval(() => {
      if (res.destroyed) return clearInterval(timer);
      res.write(chunk);
      endlessBytesWritten += chunk.length;
    }, 1);
    res.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('readBodyCapped', () => {
  it('reads a body within the bound, exactly up to it', async () => {
    expect(await readBodyCapped(await fetch(`${base}/small`), 10)).toBe('0123456789');
    expect(await readBodyCapped(await fetch(`${base}/small`), 9)).toBeUndefined();
  });

  it('refuses a declared Content-Length past the bound without reading it', async () => {
    expect(await readBodyCapped(await fetch(`${base}/declared`), 1024)).toBeUndefined();
  });

  it('stops reading an endless body once past the bound', async () => {
    expect(await readBodyCapped(await fetch(`${base}/endless`), 64 * 1024)).toBeUndefined();
    // The server keeps writing only until it notices the cancel: far less than an unbounded read.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(endlessBytesWritten).toBeLessThan(64 * 1024 * 1024);
  });
});
