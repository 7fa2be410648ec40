import { describe, expect, it } from 'vitest';
import { normalizeMethod, parseForwarded, parseHost, redactQuery } from './http-attributes';

describe('HTTP server attribute helpers', () => {
  it.each([
    ['GET', 'GET'],
    ['get', 'GET'],
    ['QUERY', 'QUERY'],
    ['PURGE', '_OTHER'],
    [undefined, 'GET'],
  ])('normalizeMethod(%j) = %j', (method, expected) => {
    expect(normalizeMethod(method)).toBe(expected);
  });

  it.each([
    ['example.com', 'http', ['example.com', 80]],
    ['example.com', 'https', ['example.com', 443]],
    ['example.com:8080', 'http', ['example.com', 8080]],
    ['[::1]:3000', 'http', ['[::1]', 3000]],
    ['[::1]', 'https', ['[::1]', 443]],
    ['example.com:notaport', 'http', ['example.com', 80]],
    ['::1', 'http', ['::1', 80]],
  ] as const)('parseHost(%j, %j) = %j', (host, scheme, expected) => {
    expect(parseHost(host, scheme)).toEqual(expected);
  });

  it('reads the first element of a Forwarded header, quoted or not', () => {
    expect(parseForwarded('for="[2001:db8::1]:4711";proto=https;host=api.example.com, for=10.0.0.1')).toEqual({
      for: '[2001:db8::1]:4711',
      proto: 'https',
      host: 'api.example.com',
    });
    expect(parseForwarded('garbage')).toEqual({});
  });

  it('redacts signed-URL credentials and leaves other queries untouched (not even re-encoded)', () => {
    expect(redactQuery('X-Amz-Signature=abc&page=2')).toBe('X-Amz-Signature=REDACTED&page=2');
    expect(redactQuery('page=2&sig=abc')).toBe('page=2&sig=REDACTED');
    expect(redactQuery('q=a%20b&design=1')).toBe('q=a%20b&design=1');
  });
});
