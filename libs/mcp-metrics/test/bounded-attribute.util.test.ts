import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MCP_METRICS_VERSION, boundedAttribute, errorTypeOf } from '../src/index';

describe('boundedAttribute', () => {
  it.each([
    { name: 'passes a new value while under the limit', seen: [], value: 'stub-x', expected: 'stub-x' },
    { name: 'passes a value seen before even when full', seen: ['a', 'b'], value: 'a', expected: 'a' },
    { name: 'folds a new value once full', seen: ['a', 'b'], value: 'c', expected: 'other' },
    { name: 'passes a known value when full', seen: ['a', 'b'], value: 'stub-small', expected: 'stub-small' },
    { name: 'folds an over-long value', seen: [], value: 'x'.repeat(65), expected: 'other' },
    { name: 'marks an empty value unknown', seen: [], value: '', expected: 'unknown' },
    { name: 'marks a missing value unknown', seen: [], value: undefined, expected: 'unknown' },
    { name: 'marks a non-string value unknown', seen: [], value: 42, expected: 'unknown' },
  ])('$name', ({ seen, value, expected }) => {
    const bound = boundedAttribute({ maxValues: 2, knownValues: ['stub-small'] });
    for (const earlier of seen) bound(earlier);
    expect(bound(value)).toBe(expected);
  });

  it('lets 10 000 distinct values through as at most maxValues + 1 distinct results', () => {
    const bound = boundedAttribute({ maxValues: 50 });
    const results = new Set(Array.from({ length: 10_000 }, (_, i) => bound(`model-${i}`)));
    expect(results.size).toBe(51);
    expect(results.has('other')).toBe(true);
  });

  it('does not count known values, over-long values or folded values against the limit', () => {
    const bound = boundedAttribute({ maxValues: 1, knownValues: ['k'], maxLength: 3 });
    expect([bound('k'), bound('long'), bound('ok'), bound('no')]).toEqual(['k', 'other', 'ok', 'other']);
  });

  it('takes custom replacement values', () => {
    const bound = boundedAttribute({ maxValues: 0, overflowValue: '_OTHER', missingValue: 'none' });
    expect([bound('x'), bound(null)]).toEqual(['_OTHER', 'none']);
  });
});

describe('errorTypeOf', () => {
  class ModelUnavailableError extends Error {}
  it.each([
    { name: 'a string code', error: Object.assign(new Error('x'), { code: 'ECONNRESET' }), expected: 'ECONNRESET' },
    { name: 'a class name when the code is numeric (gRPC)', error: Object.assign(new Error('x'), { code: 14 }), expected: 'Error' },
    { name: 'a class name when the code is a sentence', error: Object.assign(new TypeError('x'), { code: 'not a code' }), expected: 'TypeError' },
    { name: 'a subclass name', error: new ModelUnavailableError('x'), expected: 'ModelUnavailableError' },
    { name: '_OTHER for a plain object', error: { message: 'x' }, expected: '_OTHER' },
    { name: '_OTHER for a string', error: 'x', expected: '_OTHER' },
    { name: '_OTHER for null', error: null, expected: '_OTHER' },
  ])('gives $name', ({ error, expected }) => {
    expect(errorTypeOf(error)).toBe(expected);
  });
});

describe('MCP_METRICS_VERSION', () => {
  it('matches package.json', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
    expect(MCP_METRICS_VERSION).toBe(pkg.version);
  });
});
