import { describe, expect, it } from 'vitest';
import { createHttpServer, httpServerTimeouts, httpServerTimeoutsEnv, parseConfig } from '../src';
import { z } from 'zod';

const schema = z.object({ ...httpServerTimeoutsEnv });

describe('HTTP server timeouts', () => {
  it('defaults: headers 10 s, request 30 s, keep-alive 65 s, checked every second, on the created server', () => {
    const server = createHttpServer(() => undefined, httpServerTimeouts(parseConfig(schema, {})));
    expect([server.headersTimeout, server.requestTimeout, server.keepAliveTimeout]).toEqual([10_000, 30_000, 65_000]);
  });

  it('never lets the headers bound exceed the request bound (Node refuses that combination)', () => {
    expect(httpServerTimeouts(parseConfig(schema, { HTTP_HEADERS_TIMEOUT_MS: '9000', HTTP_REQUEST_TIMEOUT_MS: '2000' })).headersTimeoutMs).toBe(2_000);
  });

  it('refuses a value that is not a positive integer, naming the variable', () => {
    expect(() => parseConfig(schema, { HTTP_REQUEST_TIMEOUT_MS: '0' })).toThrow(/HTTP_REQUEST_TIMEOUT_MS/);
  });
});
