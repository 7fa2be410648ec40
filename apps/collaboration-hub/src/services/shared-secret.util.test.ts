import { describe, expect, it } from 'vitest';
import { secretMatches } from './shared-secret.util';

describe('secretMatches', () => {
  it.each([
    { given: 's3cret', expected: true },
    { given: 's3cre', expected: false },
    { given: 's3cret!', expected: false },
    { given: 'S3CRET', expected: false },
    { given: '', expected: false },
    { given: undefined, expected: false },
    { given: ['s3cret'], expected: false },
  ])('$given → $expected', ({ given, expected }) => {
    expect(secretMatches(given, 's3cret')).toBe(expected);
  });
});
