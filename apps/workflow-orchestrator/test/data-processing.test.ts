import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyOperation,
  charCount,
  dataProcessingStep,
  extractKeywords,
  pick,
  STOPWORDS,
  summarize,
  wordCount,
} from '../src/services/steps/data-processing.step';
import { StepError } from '../src/services/steps/step.types';
import { fillTemplate } from '../src/services/steps/template.util';

type Step = Parameters<typeof applyOperation>[0];
const step = (fields: Partial<Step> & Pick<Step, 'operation'>): Step => ({ type: 'data_processing', name: 'p', ...fields }) as Step;

describe('data_processing operations', () => {
  it.each([
    ['uppercase', { text: 'Hello wörld' }, 'HELLO WÖRLD'],
    ['lowercase', { text: 'Hello WÖRLD' }, 'hello wörld'],
    ['trim', { text: '  \n padded \t ' }, 'padded'],
    ['word_count', { text: '  one two\tthree\nfour  ' }, 4],
    ['word_count', { text: '   ' }, 0],
    ['char_count', { text: 'héllo 👋' }, 7],
    ['char_count', { text: '' }, 0],
  ] as const)('%s of %j is %j', (operation, data, expected) => {
    expect(applyOperation(step({ operation }), data)).toEqual(expected);
  });

  it('reads input_key, else response, else text', () => {
    expect(applyOperation(step({ operation: 'uppercase', input_key: 'title' }), { title: 'a', response: 'b', text: 'c' })).toBe('A');
    expect(applyOperation(step({ operation: 'uppercase' }), { response: 'b', text: 'c' })).toBe('B');
    expect(applyOperation(step({ operation: 'uppercase' }), { text: 'c' })).toBe('C');
  });

  it('fails with a message naming the key, never the value, when the input is missing or not text', () => {
    expect(() => applyOperation(step({ operation: 'trim', input_key: 'nope' }), { text: 'secret value' })).toThrow(new StepError('INPUT_MISSING', 'input key "nope" is not in the workflow data'));
    expect(() => applyOperation(step({ operation: 'trim' }), {})).toThrow(/input key "text" is not in the workflow data \(default: "response", else "text"; set input_key\)/);
    expect(() => applyOperation(step({ operation: 'word_count', input_key: 'n' }), { n: 42 })).toThrow('input key "n" holds a number, operation word_count needs a string');
    expect(() => applyOperation(step({ operation: 'summarize', input_key: 'o' }), { o: { secret: 'x' } })).toThrow('input key "o" holds an object, operation summarize needs a string');
  });

  describe('extract_keywords', () => {
    it('returns the most frequent words, stopwords and one-letter words removed, ties alphabetical', () => {
      const text = 'The cat sat on the mat. The cat ate a rat! Rats and cats: a mat, a cat, a hat.';
      // cat 3, mat 2, then ate/cats/hat/rat/rats/sat once each, alphabetically.
      expect(extractKeywords(text, 5)).toEqual(['cat', 'mat', 'ate', 'cats', 'hat']);
    });

    it('defaults to 5, honours limit, normalises case and typographic apostrophes', () => {
      expect(extractKeywords('Zeta zeta ZETA alpha beta gamma delta epsilon eta', 2)).toEqual(['zeta', 'alpha']);
      expect(extractKeywords('one two three four five six seven')).toHaveLength(5);
      expect(extractKeywords('Don’t don’t panic')).toEqual(['panic']);
      expect(extractKeywords("42 1999 x y 3d 3d")).toEqual(['3d']);
    });

    it('through applyOperation uses the step limit', () => {
      expect(applyOperation(step({ operation: 'extract_keywords', limit: 1 }), { text: 'apple banana apple' })).toEqual(['apple']);
    });

    it('is a pure, bounded ranking (property)', () => {
      fc.assert(
        fc.property(fc.array(fc.constantFrom('alpha', 'beta', 'gamma', 'the', 'and', 'a', 'delta', 'x'), { maxLength: 60 }), fc.integer({ min: 1, max: 10 }), (words, limit) => {
          const text = words.join(' ');
          const keywords = extractKeywords(text, limit);
          expect(extractKeywords(text, limit)).toEqual(keywords);
          expect(keywords.length).toBeLessThanOrEqual(limit);
          expect(new Set(keywords).size).toBe(keywords.length);
          for (const word of keywords) expect(STOPWORDS.has(word) || word.length < 2).toBe(false);
          const count = (w: string) => words.filter((x) => x === w).length;
          for (const [i, next] of keywords.entries()) {
            const prev = keywords[i - 1];
            if (prev === undefined) continue;
            expect(count(prev) > count(next) || (count(prev) === count(next) && prev < next)).toBe(true);
          }
        }),
      );
    });
  });

  describe('summarize', () => {
    it('keeps the first sentences, collapsing whitespace; decimals do not split', () => {
      const text = 'First one.  Second\n one!   Third one? Fourth, with pi = 3.14. Fifth.';
      expect(summarize(text, 2)).toBe('First one. Second one!');
      expect(summarize(text)).toBe('First one. Second one! Third one?');
      expect(summarize(text, 4)).toBe('First one. Second one! Third one? Fourth, with pi = 3.14.');
      expect(summarize('no terminator at all', 1)).toBe('no terminator at all');
      expect(summarize('   ', 3)).toBe('');
    });

    it('never returns more sentences than asked (property)', () => {
      fc.assert(
        fc.property(fc.array(fc.stringMatching(/^[a-z]{1,8}$/), { minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 5 }), (sentences, limit) => {
          const text = sentences.map((s) => `${s}.`).join(' ');
          expect(summarize(text, limit)).toBe(sentences.slice(0, limit).map((s) => `${s}.`).join(' '));
        }),
      );
    });
  });

  it('template fills {key} from the data; missing keys stay as written', () => {
    expect(applyOperation(step({ operation: 'template', template: 'Hi {name}, {count} new, {missing} {obj}' }), { name: 'Ada', count: 3, obj: { a: 1 } })).toBe('Hi Ada, 3 new, {missing} {"a":1}');
  });

  it('pick keeps the listed keys that exist, in order', () => {
    expect(pick({ a: 1, b: 2, c: 3 }, ['c', 'a', 'z'])).toEqual({ c: 3, a: 1 });
    expect(applyOperation(step({ operation: 'pick', keys: ['b'] }), { a: 1, b: [2] })).toEqual({ b: [2] });
  });

  it('word_count and char_count agree with simple definitions (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-zé]{1,6}$/), { maxLength: 30 }), fc.constantFrom(' ', '  ', '\t', '\n'), (words, separator) => {
        const text = words.join(separator);
        expect(wordCount(text)).toBe(words.length);
        expect(charCount(text)).toBe(text.length);
      }),
    );
  });

  it('writes to output_key, else the operation default', async () => {
    const run = dataProcessingStep();
    const data = { text: 'Hello world. Bye.' };
    await expect(run(step({ operation: 'uppercase' }), data, {})).resolves.toEqual({ processed_text: 'HELLO WORLD. BYE.' });
    await expect(run(step({ operation: 'word_count' }), data, {})).resolves.toEqual({ word_count: 3 });
    await expect(run(step({ operation: 'char_count' }), data, {})).resolves.toEqual({ char_count: 17 });
    await expect(run(step({ operation: 'extract_keywords' }), data, {})).resolves.toEqual({ keywords: ['bye', 'hello', 'world'] });
    await expect(run(step({ operation: 'summarize', limit: 1 }), data, {})).resolves.toEqual({ summary: 'Hello world.' });
    await expect(run(step({ operation: 'template', template: '<{text}>' }), data, {})).resolves.toEqual({ text: '<Hello world. Bye.>' });
    await expect(run(step({ operation: 'pick', keys: ['text'] }), data, {})).resolves.toEqual({ picked: { text: 'Hello world. Bye.' } });
    await expect(run(step({ operation: 'lowercase', output_key: 'low' }), data, {})).resolves.toEqual({ low: 'hello world. bye.' });
  });
});

describe('fillTemplate', () => {
  it.each([
    ['{a} and {b}', { a: 'x', b: 2 }, 'x and 2'],
    ['{a}{a}', { a: true }, 'truetrue'],
    ['{missing} stays', {}, '{missing} stays'],
    ['{nul} stays too', { nul: null }, '{nul} stays too'],
    ['{ spaced } {1bad} {ok_1}', { ok_1: 'y' }, '{ spaced } {1bad} y'],
    ['{list}', { list: [1, 'two'] }, '[1,"two"]'],
    ['{toString}', {}, '{toString}'],
  ])('%s with %j → %s', (template, data, expected) => {
    expect(fillTemplate(template, data, 1_000)).toBe(expected);
  });

  it('gives up as soon as the text would pass maxChars, before building it', () => {
    expect(fillTemplate('{a}{a}', { a: 'xyz' }, 6)).toBe('xyzxyz');
    expect(fillTemplate('{a}{a}', { a: 'xyz' }, 5)).toBeUndefined();
    expect(fillTemplate('ab{missing}', {}, 10)).toBeUndefined();
    // 10 000 placeholders over 100 KB would be 1 GB of text: refused after the first few.
    expect(fillTemplate('{big}'.repeat(10_000), { big: 'x'.repeat(100_000) }, 262_144)).toBeUndefined();
  });
});
