import { createServer, type Server } from 'node:http';
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { boundUnreadBodies, hasBody, jsonNestingError, listen, readJsonBody } from '../src/index';

describe('jsonNestingError', () => {
  it('counts arrays and objects, not brackets inside strings or after escaped quotes', () => {
    expect(jsonNestingError('[[[1]]]', 3)).toBeUndefined();
    expect(jsonNestingError('[[[[1]]]]', 3)).toBe('JSON body nests deeper than 3 levels');
    expect(jsonNestingError('{"a":{"b":{"c":{}}}}', 3)).toBe('JSON body nests deeper than 3 levels');
    expect(jsonNestingError('{"a":"[[[[{{{{","b":"\\\\"}', 1)).toBeUndefined();
    expect(jsonNestingError('["\\"[[[["]', 1)).toBeUndefined();
    expect(jsonNestingError('[1],[2],[3]', 1)).toBeUndefined();
  });

  it('measures a body nested 100 000 deep without recursion', () => {
    expect(jsonNestingError(`${'['.repeat(100_000)}${']'.repeat(100_000)}`, 64)).toBe('JSON body nests deeper than 64 levels');
  });
});

describe('readJsonBody and boundUnreadBodies on a real server', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  /** A server answering what readJsonBody made of the body: 200 with the value, or the refusal. */
  async function start(): Promise<string> {
    server = createServer(async (req, res) => {
      const body = hasBody(req) ? await readJsonBody(req, { limitBytes: 1024, maxDepth: 4 }) : ({ ok: true, value: null } as const);
      res.writeHead(body.ok ? 200 : body.status, { 'content-type': 'application/json' }).end(JSON.stringify(body.ok ? { value: body.value } : { error: body.message }));
    });
    boundUnreadBodies(server, 4096);
    return `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}`;
  }

  const post = async (url: string, body: string, headers: Record<string, string>) => {
    const response = await fetch(url, { method: 'POST', body, headers });
    return { status: response.status, json: (await response.json()) as unknown };
  };

  it('parses JSON within the limits and refuses the rest with the status that says why', async () => {
    const url = await start();
    expect(await post(url, '{"a":[1,2]}', { 'content-type': 'application/json; charset=utf-8' })).toEqual({ status: 200, json: { value: { a: [1, 2] } } });
    expect(await post(url, '{"a":1}', { 'content-type': 'application/j son' })).toEqual({ status: 415, json: { error: 'Content-Type must be application/json (UTF-8)' } });
    expect(await post(url, '{"a":1}', { 'content-type': 'application/json; charset=latin1' })).toMatchObject({ status: 415 });
    expect(await post(url, '{"a":1}', { 'content-type': 'application/json', 'content-encoding': 'gzip' })).toMatchObject({ status: 415 });
    expect(await post(url, `{"a":"${'x'.repeat(2000)}"}`, { 'content-type': 'application/json' })).toEqual({ status: 413, json: { error: 'request body too large: at most 1024 bytes' } });
    expect(await post(url, '[[[[[1]]]]]', { 'content-type': 'application/json' })).toEqual({ status: 400, json: { error: 'JSON body nests deeper than 4 levels' } });
    expect(await post(url, '{"a":', { 'content-type': 'application/json' })).toEqual({ status: 400, json: { error: 'malformed JSON body' } });
    for (const bare of ['null', '0', '"x"', 'false']) expect(await post(url, bare, { 'content-type': 'application/json' })).toEqual({ status: 400, json: { error: 'JSON body must be an object or an array' } });
  });

  it('answers a body growing past the limit before its end, and closes the connection once 4 KiB more came in', async () => {
    const url = new URL(await start());
    const socket = net.connect(Number(url.port), url.hostname);
    let received = '';
    let sent = 0;
    socket.setEncoding('latin1');
    socket.on('data', (data: string) => (received += data));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.write('POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n');
    const chunk = Buffer.alloc(512, ' ');
    // At most 64 MiB: far more than the server may read, so stopping earlier means it closed the connection.
    while (!socket.destroyed && sent < 64 * 1024 * 1024) {
      sent += chunk.length;
      await new Promise<void>((resolve) => socket.write(`200\r\n${chunk.toString('latin1')}\r\n`, () => resolve()));
      await new Promise((resolve) => setImmediate(resolve));
      if (received.length > 0 && socket.readableEnded) break;
    }
    await closed;
    expect(received).toMatch(/^HTTP\/1\.1 413 /);
    expect(sent).toBeLessThan(64 * 1024 * 1024);
  });
});
